// `weft connector build`: one Connector Agent run, embedded (the local store, like the other
// one-shot commands), with the agent connected to the admin tools in process as
// 'weft-connector-agent' for the operator's org. A local spec file is read here and handed over
// as text (the agent itself reads no files); progress is printed per step as it happens, as text
// on stderr or as JSON lines on stdout with --json; an interactive run asks at each handback.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Logger } from 'pino';
import { runConnectorAgent, type ConnectorReport } from '../agents/connector/index.ts';
import type { Selection } from '../agents/connector/types.ts';
import { createProvider, type LlmProviderName } from '../agents/llm/index.ts';
import type { Decision } from '../agents/runs/journal.ts';
import { createMemoryJournal } from '../agents/runs/memory-journal.ts';
import type { Config } from '../server/config.ts';
import { operatorContext } from '../server/modules/orgs/orgs.service.ts';
import { connectAgentClient } from './agent-client.ts';
import { createServices } from './services.ts';
import { openStore } from './store.ts';

export interface ConnectorBuildOptions {
  baseUrl?: string;
  credential: string[];
  interactive?: boolean;
  provider?: string;
  model?: string;
  slug?: string;
  top?: number;
  actions?: string;
  connector?: string;
  org?: string;
  json?: boolean;
}

function isFile(target: string): Promise<boolean> {
  if (/^https?:\/\//i.test(target)) return Promise.resolve(false);
  return stat(target).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function connectorBuild({
  config,
  logger,
  target,
  opts,
  out,
  err,
  input: stdin,
}: {
  config: Config;
  logger: Logger;
  target: string;
  opts: ConnectorBuildOptions;
  out: (text: string) => void;
  err: (text: string) => void;
  input?: NodeJS.ReadableStream;
}): Promise<ConnectorReport> {
  const credentials: Record<string, string> = {};
  for (const pair of opts.credential) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--credential takes NAME=VALUE, not '${pair}'`);
    credentials[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const file = await isFile(target);
  const specText = file ? await readFile(path.resolve(target), 'utf8') : undefined;
  const selection: Selection | undefined =
    opts.actions !== undefined
      ? {
          mode: 'list',
          slugs: opts.actions
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : opts.top !== undefined
        ? { mode: 'top', n: opts.top }
        : undefined;
  const provider = createProvider({
    config: config.llm,
    overrides: {
      ...(opts.provider === undefined ? {} : { provider: opts.provider as LlmProviderName }),
      ...(opts.model === undefined ? {} : { model: opts.model }),
    },
  });
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
  const onProgress = (step: string, message: string) => {
    if (opts.json === true)
      out(`${JSON.stringify({ type: 'progress', at: Number(seconds()), step, message })}\n`);
    else err(`${seconds().padStart(5)}s  ${step.padEnd(8)} ${message}\n`);
  };
  const decide = async (stage: string, summary: string): Promise<Decision> => {
    const rl = createInterface({ input: stdin ?? process.stdin, output: process.stderr });
    try {
      const answer = (
        await rl.question(`\n${stage}: ${summary}\napprove (enter) or type a revision note: `)
      ).trim();
      return answer === '' || /^(y|yes|approve|ok)$/i.test(answer)
        ? { decision: 'approve' }
        : { decision: 'revise', note: answer };
    } finally {
      rl.close();
    }
  };
  const journal = createMemoryJournal({
    interactive: opts.interactive === true,
    onProgress,
    decide,
  });

  const store = await openStore({ config, logger });
  try {
    const services = await createServices({
      config,
      logger,
      db: store.db,
      keyring: store.keyring.keyring,
    });
    try {
      const { tenant } = await operatorContext({
        db: store.db,
        orgId: opts.org,
        actorLabel: 'cli:connector-build',
      });
      const agent = await connectAgentClient({ services, tenant, logger });
      try {
        return await runConnectorAgent({
          client: agent.client,
          provider,
          journal,
          input: {
            source: file ? path.basename(target) : target,
            ...(specText === undefined ? {} : { specText }),
            ...(opts.connector === undefined ? {} : { connector: opts.connector }),
            ...(opts.slug === undefined ? {} : { slug: opts.slug }),
            ...(opts.baseUrl === undefined ? {} : { baseUrl: opts.baseUrl }),
            ...(Object.keys(credentials).length === 0 ? {} : { credentials }),
            ...(opts.interactive === true ? { interactive: true } : {}),
            ...(selection === undefined ? {} : { selection }),
          },
        });
      } finally {
        await agent.close();
      }
    } finally {
      await services.close();
    }
  } finally {
    await store.close();
  }
}

/** The report for people: what was built, tested, fixed and mapped. */
export function reportText(report: ConnectorReport): string {
  const lines = [
    `${report.status === 'completed' ? 'built' : report.status}: ${report.connector?.slug ?? 'no connector'}${report.status === 'completed' ? '' : ` (${report.message})`}`,
    `  source    ${report.source.kind} ${report.source.ref ?? ''}`,
    ...(report.connector === null
      ? []
      : [
          `  base URL  ${report.connector.baseUrl ?? '(none)'}`,
          `  auth      ${report.connector.auth.join(', ') || 'none'}`,
        ]),
    `  actions   ${report.actions.length}; events ${report.events.length}`,
    ...report.tests.map(
      (t) =>
        `  tests     ${t.target}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped${
          t.failed > 0
            ? ` (${t.results
                .filter((r) => r.outcome === 'fail')
                .slice(0, 5)
                .map((r) => `${r.action}: ${r.errorClass ?? r.status ?? '?'}`)
                .join(', ')})`
            : ''
        }`,
    ),
    ...report.fixes.map(
      (f) =>
        `  fix       [${f.outcome}] ${f.change}\n${f.diff
          .map(
            (d) =>
              `              ${d.field}: ${JSON.stringify(d.before)} → ${JSON.stringify(d.after)}`,
          )
          .join('\n')}`,
    ),
    `  mappings  ${
      report.mappings.saved
        .map((m) => `${m.entity} (saved)`)
        .concat(report.mappings.proposed.map((m) => `${m.entity} (proposed)`))
        .join(', ') || 'none'
    }`,
    ...(report.specFindings.length > 0
      ? [
          `  spec      ${report.specFindings.length} findings, e.g. ${report.specFindings[0]?.path ?? ''} ${report.specFindings[0]?.message ?? ''}`,
        ]
      : []),
    `  usage     ${report.usage.toolCalls} tool calls${report.usage.refusedCalls > 0 ? ` (${report.usage.refusedCalls} refused)` : ''}, ${report.usage.inputTokens + report.usage.outputTokens} tokens, $${report.usage.costUsd.toFixed(4)}`,
    ...report.notes.map((n) => `  note      ${n}`),
  ];
  return lines.join('\n');
}
