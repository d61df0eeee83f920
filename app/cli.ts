import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from '../server/config.ts';
import { ApiKeyKindSchema } from '../server/domain/api-key.ts';
import type { Mode } from '../server/domain/tenant.ts';
import { isAppError } from '../server/errors.ts';
import { createLogger } from '../server/logger.ts';
import { closeOnSignals, startServer } from './main.ts';
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
import { serveStdio } from './stdio.ts';
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
      const starting = startServer({ config: cfg, logger, out: io.out, workers: opts.workers });
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
        const runtime = await openStore({ config: cfg, logger });
        const workers = await startWorkers({
          config: cfg,
          db: runtime.db,
          keyring: runtime.keyring.keyring,
          logger,
        });
        return { runtime, workers };
      })();
      closeOnSignals({
        close: async () => {
          const { runtime, workers } = await starting;
          await workers.close();
          await runtime.close();
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
    .action(async () => {
      const cfg = getConfig();
      // stdout carries the protocol: every log line goes to stderr.
      const logger = createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, {
        write: (s: string) => io.err(s),
      });
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

  const connector = program.command('connector').description('Connectors');
  const collect = (value: string, previous: string[]) => [...previous, value];
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
