import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from '../server/config.ts';
import { ApiKeyKindSchema } from '../server/domain/api-key.ts';
import type { Mode } from '../server/domain/tenant.ts';
import { isAppError } from '../server/errors.ts';
import { createLogger } from '../server/logger.ts';
import { closeOnSignals } from './signals.ts';
import {
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '../server/modules/api-keys/api-keys.service.ts';
import { createOrganization, operatorContext } from '../server/modules/orgs/orgs.service.ts';
import { openStore, type Store } from './store.ts';
import { rotateSecrets } from '../server/modules/secrets/rotation.ts';
import { importSpecIntoConnector } from '../server/modules/connectors/import.service.ts';
import type { Selection } from '../server/domain/import.ts';
import { createFetchText } from '../server/net/fetch-text.ts';
import { createGuardedDispatcher, guardSettings } from '../server/net/ssrf.ts';
import type { ConnectorBuildOptions } from './connector-build.ts';
import { listPeople, invitePerson, passwordLink } from '../server/modules/people/people.service.ts';
import { createServices, publicBaseUrlOf } from './services.ts';
import { startWorkers } from './workers.ts';
import { WEFT_VERSION } from '../server/version.ts';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  onInputEnd?: (fn: () => void) => void;
  exit?: (code: number) => void;
}

function parseKind(value: string): Mode {
  const parsed = ApiKeyKindSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('must be test or live');
  return parsed.data;
}

function operatorLabel(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Builds the `weft` command line. `run` resolves with the exit code for one-shot commands. */
export function buildCli(io: Io): Command {
  let config: Config | undefined;
  const getConfig = (): Config => {
    config ??= loadConfig(io.env);
    return config;
  };
  // Logs go to stderr in one-shot commands so stdout carries only the answer.
  const cliLogger = (): Logger =>
    createLogger(getConfig().logLevel === 'info' ? 'warn' : getConfig().logLevel, {
      write: (s: string) => io.err(s),
    });
  const withRuntime = async <T>(fn: (rt: Store) => Promise<T>): Promise<T> => {
    const runtime = await openStore({ config: getConfig(), logger: cliLogger() });
    try {
      return await fn(runtime);
    } finally {
      await runtime.close();
    }
  };
  const print = (value: unknown, json: boolean | undefined, text: () => string) => {
    io.out(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
  };

  const program = new Command('weft')
    .description('Weft: build connectors and workflows with agents, run them for every customer.')
    .version(WEFT_VERSION)
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('start')
    .description(
      'Run the API, MCP endpoints and workers in one process (embedded Postgres unless DATABASE_URL is set)',
    )
    .option('--no-workers', 'serve HTTP only; run `weft worker` elsewhere')
    .action(async (opts: { workers: boolean }) => {
      const cfg = getConfig();
      const logger = createLogger(cfg.logLevel);
      // Signals are handled before the server is up: a stop that arrives just after the
      // "listening" line must still close cleanly rather than kill the process mid-start.
      // The HTTP app (routes, tools, web app) is loaded only by the commands that serve it.
      const starting = import('./main.ts').then(({ startServer }) =>
        startServer({ config: cfg, logger, out: io.out, workers: opts.workers }),
      );
      closeOnSignals({ close: async () => (await starting).close(), logger });
      await starting;
    });

  program
    .command('worker')
    .description('Run background workers only (scale-out: many machines, one Postgres)')
    .action(async () => {
      const cfg = getConfig();
      const logger = createLogger(cfg.logLevel);
      const starting = (async () => {
        const store = await openStore({ config: cfg, logger });
        const services = await createServices({
          config: cfg,
          logger,
          db: store.db,
          keyring: store.keyring.keyring,
        });
        const workers = await startWorkers(services);
        return { store, services, workers };
      })();
      closeOnSignals({
        close: async () => {
          const { store, services, workers } = await starting;
          await workers.close();
          await services.close();
          await store.close();
        },
        logger,
      });
      await starting;
    });

  program
    .command('mcp')
    .description(
      'Serve the admin MCP tools over stdio for IDE agents (relays to WEFT_URL with WEFT_API_KEY, or runs embedded)',
    )
    .option(
      '--toolsets <names>',
      'toolsets the session starts with: connectors,connections,calls,mappings,workflows,triggers,gateway, or all (default: WEFT_MCP_TOOLSETS, else connectors,connections,calls)',
    )
    .action(async (opts: { toolsets?: string }) => {
      const base = getConfig();
      const cfg = opts.toolsets === undefined ? base : { ...base, mcpToolsets: opts.toolsets };
      // stdout carries the protocol: every log line goes to stderr.
      const logger = createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, {
        write: (s: string) => io.err(s),
      });
      const { serveStdio } = await import('./stdio.ts');
      const handle = await serveStdio({ config: cfg, logger });
      closeOnSignals({ close: () => handle.close(), logger });
      // The client closing stdin ends the session.
      io.onInputEnd?.(() => {
        void handle.close().finally(() => io.exit?.(0));
      });
    });

  program
    .command('migrate')
    .description('Apply pending database migrations and exit')
    .action(async () => {
      const location = await withRuntime((rt) => Promise.resolve(rt.dbLocation));
      io.out(`database is current (${location})\n`);
    });

  const org = program.command('org').description('Organizations on this installation');
  org
    .command('create <name>')
    .description("Create a further organization and print its owner's keys once")
    .option('--owner-email <email>', "the owner's email", 'owner@localhost')
    .option('--owner-name <name>', "the owner's name")
    .option('--json', 'print JSON')
    .action(
      async (name: string, opts: { ownerEmail: string; ownerName?: string; json?: boolean }) => {
        const created = await withRuntime((rt) =>
          createOrganization({
            db: rt.db,
            name,
            ownerEmail: opts.ownerEmail,
            ownerName: opts.ownerName ?? null,
            actorLabel: operatorLabel(),
          }),
        );
        print(created, opts.json, () =>
          [
            `Organization ${created.organization.name} (${created.organization.id}), owner ${created.owner.email}`,
            'API keys (shown this once; store them now):',
            ...created.keys.map((k) => `  ${k.kind.padEnd(5)} ${k.key}`),
          ].join('\n'),
        );
      },
    );

  const keys = program.command('keys').description('API keys of an organization');
  const orgOption = ['--org <id>', 'organization id (default: the first organization)'] as const;
  keys
    .command('create')
    .description('Create an API key and print it once')
    .requiredOption('--kind <kind>', 'test or live', parseKind)
    .option('--name <name>', 'what the key is for', 'CLI key')
    .option(...orgOption)
    .option('--json', 'print JSON')
    .action(async (opts: { kind: Mode; name: string; org?: string; json?: boolean }) => {
      const created = await withRuntime(async (rt) => {
        const { tenant } = await operatorContext({
          db: rt.db,
          orgId: opts.org,
          actorLabel: operatorLabel(),
        });
        return createApiKey({ db: rt.db, tenant, input: { name: opts.name, kind: opts.kind } });
      });
      print(
        created,
        opts.json,
        () =>
          `${created.kind} key ${created.id} (${created.name}); shown this once:\n${created.key}`,
      );
    });
  keys
    .command('list')
    .description('List API keys (never their secrets)')
    .option('--all', 'include revoked keys')
    .option(...orgOption)
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; org?: string; json?: boolean }) => {
      const list = await withRuntime(async (rt) => {
        const { tenant } = await operatorContext({
          db: rt.db,
          orgId: opts.org,
          actorLabel: operatorLabel(),
        });
        return listApiKeys({ db: rt.db, tenant, includeRevoked: opts.all === true });
      });
      print(list, opts.json, () =>
        list.length === 0
          ? 'no API keys'
          : table([
              ['ID', 'KIND', 'PREFIX', 'NAME', 'LAST USED', 'REVOKED'],
              ...list.map((k) => [
                k.id,
                k.kind,
                `${k.prefix}…`,
                k.name,
                k.lastUsedAt ?? 'never',
                k.revokedAt ?? '',
              ]),
            ]),
      );
    });
  keys
    .command('revoke <id>')
    .description('Revoke an API key; it stops working at once')
    .option(...orgOption)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { org?: string; json?: boolean }) => {
      const revoked = await withRuntime(async (rt) => {
        const { tenant } = await operatorContext({
          db: rt.db,
          orgId: opts.org,
          actorLabel: operatorLabel(),
        });
        return revokeApiKey({ db: rt.db, tenant, id });
      });
      print(
        revoked,
        opts.json,
        () => `revoked ${revoked.kind} key ${revoked.id} (${revoked.prefix}…)`,
      );
    });

  const people = program
    .command('people')
    .description('People of an organization: invite them, or give one a sign-in link');
  people
    .command('list')
    .description('List the people and their roles')
    .option(...orgOption)
    .option('--json', 'print JSON')
    .action(async (opts: { org?: string; json?: boolean }) => {
      const list = await withRuntime(async (rt) => {
        const { tenant } = await operatorContext({
          db: rt.db,
          orgId: opts.org,
          actorLabel: operatorLabel(),
        });
        return listPeople({ db: rt.db, tenant });
      });
      print(list, opts.json, () =>
        table([
          ['ID', 'EMAIL', 'ROLE', 'CAN SIGN IN'],
          ...list.map((p) => [p.id, p.email, p.role, p.canSignIn ? 'yes' : 'no (needs a link)']),
        ]),
      );
    });
  people
    .command('invite <email>')
    .description('Invite a person and print their one-time link (no mail is sent)')
    .option(
      '--role <role>',
      'admin, developer, operator, viewer, end_user or a custom role',
      'developer',
    )
    .option(...orgOption)
    .option('--json', 'print JSON')
    .action(async (email: string, opts: { role: string; org?: string; json?: boolean }) => {
      const created = await withRuntime(async (rt) => {
        const { tenant } = await operatorContext({
          db: rt.db,
          orgId: opts.org,
          actorLabel: operatorLabel(),
        });
        return invitePerson({
          db: rt.db,
          tenant,
          input: { email, role: opts.role },
          baseUrl: publicBaseUrlOf(getConfig(), undefined),
        });
      });
      print(
        created,
        opts.json,
        () =>
          `Invited ${created.email} as ${created.role}. Their one-time link (7 days):\n${created.link}`,
      );
    });
  people
    .command('link <email>')
    .description(
      'Print a one-time link with which a person chooses a new password (the first owner: owner@localhost)',
    )
    .option(...orgOption)
    .option('--json', 'print JSON')
    .action(async (email: string, opts: { org?: string; json?: boolean }) => {
      const created = await withRuntime(async (rt) => {
        const { tenant } = await operatorContext({
          db: rt.db,
          orgId: opts.org,
          actorLabel: operatorLabel(),
        });
        return passwordLink({
          db: rt.db,
          tenant,
          email,
          baseUrl: publicBaseUrlOf(getConfig(), undefined),
        });
      });
      print(
        created,
        opts.json,
        () =>
          `Open this link once to choose a password for ${created.email} (7 days):\n${created.link}`,
      );
    });

  const connector = program.command('connector').description('Connectors');
  const collect = (value: string, previous: string[]) => [...previous, value];
  connector
    .command('build <source>')
    .description(
      'Build and test a connector with the Connector Agent from a spec file, a spec URL, a docs URL or an app name',
    )
    .option('--base-url <url>', 'the API base URL to use (a sandbox, a local server)')
    .option(
      '--credential <name=value>',
      'a test credential, e.g. apiKey=… (repeatable)',
      collect,
      [],
    )
    .option('--interactive', 'pause for approval after the plan, the build and the tests')
    .option('--provider <name>', 'offline, openai or anthropic (default: WEFT_LLM)', (v) => {
      if (!['offline', 'openai', 'anthropic'].includes(v))
        throw new InvalidArgumentError('must be offline, openai or anthropic');
      return v;
    })
    .option('--model <name>', 'the model (default: WEFT_LLM_MODEL)')
    .option('--slug <slug>', 'connector slug (default: from the spec or the docs)')
    .option('--connector <slug>', 'test and repair this existing connector instead')
    .option('--top <n>', 'only the N most useful actions of a spec', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new InvalidArgumentError('must be a positive integer');
      return n;
    })
    .option('--actions <slugs>', 'only these actions of a spec (comma-separated)')
    .option(...orgOption)
    .option('--json', 'progress and the report as JSON lines')
    .action(async (source: string, opts: ConnectorBuildOptions) => {
      const { connectorBuild, reportText } = await import('./connector-build.ts');
      const report = await connectorBuild({
        config: getConfig(),
        logger: cliLogger(),
        target: source,
        opts,
        out: io.out,
        err: io.err,
      });
      io.out(
        opts.json === true
          ? `${JSON.stringify({ type: 'report', report })}\n`
          : `${reportText(report)}\n`,
      );
      if (report.status !== 'completed' && report.status !== 'waiting')
        throw new Error(`the connector agent stopped: ${report.message}`);
    });
  connector
    .command('import <file-or-url>')
    .description(
      'Import an OpenAPI 3.x, Swagger 2.0 or Postman v2.1 spec into a connector (re-import: shows the diff; --apply to apply it)',
    )
    .option('--slug <slug>', 'connector slug (default: from the spec title)')
    .option('--tag <tag>', 'only actions with this tag (repeatable)', collect, [])
    .option('--actions <slugs>', 'only these actions (comma-separated)')
    .option('--top <n>', 'only the N most useful actions', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new InvalidArgumentError('must be a positive integer');
      return n;
    })
    .option('--apply', 'apply the changes to an existing connector')
    .option('--remove-missing', 'when applying, remove what the new spec no longer has')
    .option('--dry-run', 'show what would happen, write nothing')
    .option(...orgOption)
    .option('--json', 'print JSON')
    .action(
      async (
        target: string,
        opts: {
          slug?: string;
          tag: string[];
          actions?: string;
          top?: number;
          apply?: boolean;
          removeMissing?: boolean;
          dryRun?: boolean;
          org?: string;
          json?: boolean;
        },
      ) => {
        const selection: Selection =
          opts.actions !== undefined
            ? {
                mode: 'list',
                slugs: opts.actions
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              }
            : opts.tag.length > 0
              ? { mode: 'tag', tags: opts.tag }
              : opts.top !== undefined
                ? { mode: 'top', n: opts.top }
                : { mode: 'all' };
        const started = Date.now();
        const outcome = await withRuntime(async (rt) => {
          const { tenant } = await operatorContext({
            db: rt.db,
            orgId: opts.org,
            actorLabel: operatorLabel(),
          });
          const documents = createGuardedDispatcher(guardSettings(rt.config));
          try {
            return await importSpecIntoConnector({
              db: rt.db,
              tenant,
              source: /^https?:\/\//.test(target)
                ? { kind: 'url', url: target }
                : { kind: 'path', path: path.resolve(target) },
              fetchText: createFetchText({ dispatcher: documents }),
              selection,
              slug: opts.slug,
              apply: opts.apply === true,
              removeMissing: opts.removeMissing === true,
              dryRun: opts.dryRun === true,
              onProgress: (phase) =>
                io.err(`${((Date.now() - started) / 1000).toFixed(1)}s  ${phase}\n`),
            });
          } finally {
            await documents.close();
          }
        });
        print(outcome, opts.json, () =>
          [
            `${outcome.summary}`,
            `  ${outcome.stats['operations'] ?? 0} operations in the spec, ${outcome.stats['actions'] ?? 0} actions, ${outcome.stats['events'] ?? 0} events`,
            ...(outcome.warnings.length > 0
              ? [
                  `  ${outcome.warnings.length} warnings:`,
                  ...outcome.warnings.slice(0, 20).map((w) => `    ${w.path}: ${w.reason}`),
                  ...(outcome.warnings.length > 20
                    ? [`    …and ${outcome.warnings.length - 20} more (--json for all)`]
                    : []),
                ]
              : []),
            ...(outcome.outcome === 'preview' && outcome.diff !== null
              ? ['  run again with --apply to apply these changes']
              : []),
          ].join('\n'),
        );
      },
    );

  const positiveInt = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
    return n;
  };
  program
    .command('eval')
    .description(
      'Run the eval suite (evals/cases) on a throwaway in-memory database: build each case end to end, score it against its gold label, write evals/reports/<timestamp>.json and .md',
    )
    .option('--cases <ids>', 'case ids, kinds (spec, no-spec, task) or globs, comma-separated')
    .option('--provider <name>', 'offline, openai or anthropic (default: WEFT_LLM)', (v) => {
      if (!['offline', 'openai', 'anthropic'].includes(v))
        throw new InvalidArgumentError('must be offline, openai or anthropic');
      return v;
    })
    .option('--model <name>', 'the model (default: WEFT_LLM_MODEL)')
    .option('--runner <name>', 'agent, interim or auto (the agent when present)', (v) => {
      if (!['agent', 'interim', 'auto'].includes(v))
        throw new InvalidArgumentError('must be agent, interim or auto');
      return v;
    })
    .option(
      '--concurrency <n>',
      'cases at once, each in a process of its own (default 2)',
      positiveInt,
    )
    .option('--timeout <seconds>', 'per case (default 600)', positiveInt)
    .option('--gate', 'compare with evals/baseline.json; exit 1 when a score drops')
    .option('--update-baseline', 'record this run as evals/baseline.json')
    .option('--json', 'print the JSON report')
    .action(
      async (opts: {
        cases?: string;
        provider?: 'offline' | 'openai' | 'anthropic';
        model?: string;
        runner?: 'agent' | 'interim' | 'auto';
        concurrency?: number;
        timeout?: number;
        gate?: boolean;
        updateBaseline?: boolean;
        json?: boolean;
      }) => {
        const { evalCommand } = await import('../evals/command.ts');
        await evalCommand({
          options: {
            ...opts,
            cases: (opts.cases ?? '')
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          },
          env: io.env,
          out: io.out,
          err: io.err,
          tty: process.stderr.isTTY,
        });
      },
    );

  program
    .command('secrets')
    .description('Stored secrets')
    .command('rotate')
    .description(
      'Re-wrap every stored secret under WEFT_MASTER_KEY (keep the old key in WEFT_PREVIOUS_MASTER_KEYS while it runs)',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const report = await withRuntime((rt) =>
        rotateSecrets({
          db: rt.db,
          keyring: rt.keyring.keyring,
          onProgress: (done, total) => io.err(`\rrotating secrets: ${done}/${total} organizations`),
        }),
      );
      io.err('\n');
      print(report, opts.json, () =>
        [
          `re-wrapped ${report.rewrapped} secrets in ${report.orgs} organizations (${report.alreadyCurrent} already current)`,
          ...report.failed.map((f) => `  FAILED ${f.where} (org ${f.orgId}): ${f.reason}`),
          report.failed.length === 0
            ? 'no failures: the previous master keys can be removed'
            : 'some secrets could not be read: keep the previous keys',
        ].join('\n'),
      );
      if (report.failed.length > 0)
        throw new Error(`${report.failed.length} secrets could not be re-wrapped`);
    });

  program
    .command('assist')
    .description(
      'The Setup Assistant in the terminal: from your use case to a live integration (with WEFT_URL and WEFT_API_KEY, on that Weft)',
    )
    .option('--session <id>', 'resume a session')
    .option(...orgOption)
    .action(async (opts: { session?: string; org?: string }) => {
      const { assist } = await import('./assist.ts');
      await assist({
        config: getConfig(),
        logger: cliLogger(),
        ...(opts.session !== undefined && { session: opts.session }),
        ...(opts.org !== undefined && { org: opts.org }),
        out: io.out,
      });
    });

  return program;
}

/** Runs the CLI; returns an exit code for one-shot commands, or null when a server keeps running. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = buildCli(io).exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`weft: ${error.message}\n`);
      return 2;
    }
    if (isAppError(error)) {
      io.err(`weft: ${error.message}\n`);
      return 1;
    }
    const code = (error as { code?: string; exitCode?: number }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return (error as { exitCode: number }).exitCode;
    }
    io.err(`weft: ${(error as Error).message}\n`);
    return 1;
  }
}
