// The eval suite: loads the cases, builds each one with a CaseRunner (the Connector Agent, or the
// interim runner) in an org of its own, reads back what was built, scores it, and writes
// evals/reports/<timestamp>.json and .md. Cases run in `concurrency` child processes (shard.ts); a case
// that cannot be parsed, a runner that throws (a provider error) and a case past its timeout are
// recorded as such and the suite carries on. `weft eval` (app/cli.ts) calls runSuite.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProvider, type Provider } from '../agents/llm/index.ts';
import { WEFT_VERSION } from '../server/version.ts';
import { startVendorSite } from '../test/fixtures/vendor-site.ts';
import {
  fillPlaceholders,
  loadCases,
  messageOf,
  readGold,
  specPathOf,
  type FixerCase,
  type Gold,
  type LoadedCase,
  type NoSpecCase,
  type SpecCase,
  type TaskCase,
} from './cases.ts';
import { llmConfigOf, openEvalEnv, type EvalEnv } from './env.ts';
import { runFixerCase } from './fixer-case.ts';
import { metered } from './metered.ts';
import { runTaskCase } from './task-case.ts';
import { readBack } from './read-back.ts';
import { aggregate, type CaseResult, type SuiteReport } from './report.ts';
import { agentAvailable, agentRunner } from './runners/agent.ts';
import { interimRunner } from './runners/interim.ts';
import type { BuildSource, CaseRunner } from './runners/types.ts';
import { scoreBuilt, scoreNothing, specFacts, type SpecFacts } from './score-case.ts';

export type RunnerChoice = 'auto' | 'agent' | 'interim';
export type ProviderName = 'offline' | 'openai' | 'anthropic';

export interface SuiteOptions {
  /** Case ids, kinds or globs (evals/cases.ts matchesFilter); empty runs all. */
  cases?: readonly string[];
  runner?: RunnerChoice;
  provider?: ProviderName;
  model?: string;
  concurrency?: number;
  /** Per case, build and read-back together. */
  timeoutMs?: number;
  /** The caller's environment: only the model settings are read from it. */
  env?: Readonly<Record<string, string | undefined>>;
  casesDir?: string;
  /** Progress: called when a case starts and ends. */
  onProgress?: (event: { done: number; total: number; id: string; status?: string }) => void;
  /** Run every case in this process (the shards do; tests of one case may). */
  inProcess?: boolean;
}

export function chooseRunner(choice: RunnerChoice): CaseRunner {
  if (choice === 'interim') return interimRunner;
  if (choice === 'agent') return agentRunner;
  return agentAvailable() ? agentRunner : interimRunner;
}

async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new TimeoutError(`timed out after ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

class TimeoutError extends Error {}

async function runBuildCase({
  env,
  runner,
  provider,
  id,
  gold,
  facts,
  source,
  allowlist,
  credentials,
  timeoutMs,
}: {
  env: EvalEnv;
  runner: CaseRunner;
  provider: Provider;
  id: string;
  gold: Gold;
  facts: SpecFacts;
  source: BuildSource;
  allowlist?: readonly string[];
  credentials?: Readonly<Record<string, string>>;
  timeoutMs: number;
}): Promise<Omit<CaseResult, 'id' | 'kind'>> {
  const started = performance.now();
  const session = await env.openCase({ id, ...(allowlist && { allowlist }) });
  const meter = metered(provider);
  try {
    const outcome = await withTimeout(timeoutMs, (signal) =>
      runner.build({ client: session.client, source, provider: meter.provider, signal }),
    );
    const toolCalls = session.toolCalls();
    const buildMs = performance.now() - started;
    if (outcome.connector === null)
      return {
        status: 'failed',
        error: outcome.message,
        scores: scoreNothing({ gold, facts }),
        metrics: { wallMs: buildMs, toolCalls, ...outcome.usage },
        fixes: outcome.fixes,
        notes: [],
      };
    const built = await readBack({
      client: session.client,
      slug: outcome.connector,
      mappingActions: outcome.mappingActions,
      credentials,
    });
    return {
      status: outcome.status === 'completed' ? 'ok' : 'failed',
      ...(outcome.status !== 'completed' && { error: `${outcome.status}: ${outcome.message}` }),
      scores: scoreBuilt({ gold, facts, built }),
      metrics: { wallMs: performance.now() - started, buildMs, toolCalls, ...outcome.usage },
      fixes: outcome.fixes,
      notes: built.notes,
    };
  } catch (cause) {
    return {
      status: cause instanceof TimeoutError ? 'timeout' : 'error',
      error: messageOf(cause),
      scores: scoreNothing({ gold, facts }),
      metrics: {
        wallMs: performance.now() - started,
        toolCalls: session.toolCalls(),
        ...meter.spent(),
      },
      fixes: [],
      notes: [],
    };
  } finally {
    await session.close().catch(() => undefined);
  }
}

async function runSpecCase(args: {
  c: SpecCase;
  env: EvalEnv;
  runner: CaseRunner;
  provider: Provider;
  timeoutMs: number;
}): Promise<CaseResult> {
  const { c } = args;
  const gold = await readGold(c);
  const specPath = specPathOf(c);
  const facts = await specFacts({ specPath, gold });
  const text = await fs.readFile(specPath, 'utf8');
  const result = await runBuildCase({
    ...args,
    id: c.id,
    gold,
    facts,
    source: { kind: 'spec', fileName: path.basename(specPath), text },
  });
  return { id: c.id, kind: c.kind, ...result };
}

async function runNoSpecCase(args: {
  c: NoSpecCase;
  env: EvalEnv;
  runner: CaseRunner;
  provider: Provider;
  timeoutMs: number;
}): Promise<CaseResult> {
  const { c } = args;
  const site = await startVendorSite();
  try {
    const values = {
      docsUrl: site.urls.docs,
      apiOrigin: site.apiOrigin,
      docsOrigin: site.docsOrigin,
      apiKey: site.apiKey,
      bearerToken: site.bearerToken,
    };
    const gold = fillPlaceholders(c.gold, values);
    const credentials = fillPlaceholders(c.credentials, values);
    const result = await runBuildCase({
      ...args,
      id: c.id,
      gold,
      facts: { operations: gold.actions ?? null, goldSchemaProperties: {} },
      source: { kind: 'docs', url: fillPlaceholders(c.source, values), credentials },
      allowlist: site.allowlist,
      credentials,
    });
    return { id: c.id, kind: c.kind, ...result };
  } finally {
    await site.close();
  }
}

/** A fixer case: seeded faults in an imported connector, the agent's repair, each fault checked. */
async function runFixer({
  c,
  env,
  runner,
  provider,
  timeoutMs,
}: {
  c: FixerCase;
  env: EvalEnv;
  runner: CaseRunner;
  provider: Provider;
  timeoutMs: number;
}): Promise<CaseResult> {
  if (runner.name !== 'agent')
    return skipped(c, 'fixer cases run the Connector Agent; the interim runner has no fixer');
  const started = performance.now();
  const session = await env.openCase({ id: c.id });
  const specPath = specPathOf(c);
  const meter = metered(provider);
  try {
    const text = await fs.readFile(specPath, 'utf8');
    const outcome = await withTimeout(timeoutMs, (signal) =>
      runFixerCase({
        c,
        client: session.client,
        provider: meter.provider,
        specText: text,
        fileName: path.basename(specPath),
        signal,
      }),
    );
    return {
      id: c.id,
      kind: c.kind,
      status: outcome.status === 'completed' ? 'ok' : 'failed',
      ...(outcome.status !== 'completed' && { error: `${outcome.status}: ${outcome.message}` }),
      metrics: {
        wallMs: performance.now() - started,
        toolCalls: session.toolCalls(),
        ...outcome.usage,
      },
      fixes: outcome.fixes,
      seeded: outcome.seeded,
      notes: outcome.unseeded.map((k) => `no ${k} fault a test shows on this connector`),
    };
  } catch (cause) {
    return {
      id: c.id,
      kind: c.kind,
      status: cause instanceof TimeoutError ? 'timeout' : 'error',
      error: messageOf(cause),
      metrics: {
        wallMs: performance.now() - started,
        toolCalls: session.toolCalls(),
        ...meter.spent(),
      },
      fixes: [],
      // Asked for and not repaired: each kind counts as a miss.
      seeded: c.faults.map((kind) => ({
        kind,
        action: '',
        field: '',
        passes: false,
        restored: false,
        repaired: false,
      })),
      notes: [],
    };
  } finally {
    await session.close().catch(() => undefined);
  }
}

/** A task case: the Workflow Agent on the shop/CRM fakes, its workflow run, the effect scored. */
async function runTask({
  c,
  provider,
  timeoutMs,
}: {
  c: TaskCase;
  provider: Provider;
  timeoutMs: number;
}): Promise<CaseResult> {
  const started = performance.now();
  const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  try {
    const outcome = await withTimeout(timeoutMs, () => runTaskCase({ c, provider, phases: c.act }));
    return {
      id: c.id,
      kind: c.kind,
      status: outcome.score.passed ? 'ok' : 'failed',
      ...(!outcome.score.passed && { error: outcome.score.problems.join('; ') }),
      metrics: { wallMs: performance.now() - started, toolCalls: outcome.toolCalls, ...usage },
      fixes: [],
      task: {
        passed: outcome.score.passed,
        checks: outcome.score.checks,
        problems: outcome.score.problems,
      },
      notes: [outcome.summary],
    };
  } catch (cause) {
    return {
      id: c.id,
      kind: c.kind,
      status: cause instanceof TimeoutError ? 'timeout' : 'error',
      error: messageOf(cause),
      metrics: { wallMs: performance.now() - started, toolCalls: 0, ...usage },
      fixes: [],
      task: { passed: false, checks: 0, problems: [messageOf(cause)] },
      notes: [],
    };
  }
}

function skipped(c: LoadedCase, reason: string): CaseResult {
  return { id: c.id, kind: c.kind, status: 'skipped', error: reason, fixes: [], notes: [] };
}

const clampWidth = (n: number | undefined): number => Math.max(1, Math.min(n ?? 2, 16));

async function weightOf(c: LoadedCase): Promise<number> {
  if (c.kind !== 'spec' && c.kind !== 'fixer') return 0;
  return fs.stat(specPathOf(c)).then(
    (s) => s.size,
    () => 0,
  );
}

/** Runs cases in this process, `width` at a time; what a shard process does with its share. */
export async function runCasesHere({
  cases,
  runner,
  options,
  onResult,
}: {
  cases: readonly LoadedCase[];
  runner: CaseRunner;
  options: SuiteOptions;
  onResult: (result: CaseResult, started: string) => void;
}): Promise<void> {
  if (cases.length === 0) return;
  const env = await openEvalEnv({ env: options.env ?? {} });
  const provider = createProvider({
    config: env.llmConfig,
    overrides: {
      ...(options.provider !== undefined && { provider: options.provider }),
      ...(options.model !== undefined && { model: options.model }),
    },
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const queue = [...cases];
  const one = async (c: LoadedCase): Promise<CaseResult> => {
    try {
      switch (c.kind) {
        case 'spec':
          return await runSpecCase({ c, env, runner, provider, timeoutMs });
        case 'no-spec':
          return await runNoSpecCase({ c, env, runner, provider, timeoutMs });
        case 'task':
          return await runTask({ c, provider, timeoutMs });
        case 'fixer':
          return await runFixer({ c, env, runner, provider, timeoutMs });
      }
    } catch (cause) {
      return {
        id: c.id,
        kind: c.kind,
        status: 'error',
        error: messageOf(cause),
        fixes: [],
        notes: [],
      };
    }
  };
  const worker = async (): Promise<void> => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) onResult(await one(c), c.id);
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(clampWidth(options.concurrency), queue.length) }, worker),
    );
  } finally {
    await env.close();
  }
}

const DEFAULT_TIMEOUT_MS = 600_000;
const SHARD = fileURLToPath(new URL('./shard.ts', import.meta.url));

/**
 * Runs a share of the cases in a child process (its own database, its own core): the agent, the
 * import and PGlite are CPU-bound on one thread, so processes, not promises, use the machine.
 */
function runShard({
  ids,
  options,
  runner,
  onResult,
}: {
  ids: readonly string[];
  options: SuiteOptions;
  runner: CaseRunner['name'];
  onResult: (result: CaseResult) => void;
}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SHARD], { stdio: ['pipe', 'pipe', 'inherit'] });
    const seen = new Set<string>();
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (!line.startsWith('{"result"')) continue;
        const result = (JSON.parse(line) as { result: CaseResult }).result;
        seen.add(result.id);
        onResult(result);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // A shard that died takes its unfinished cases with it: they are errors, the rest stand.
      // Its own last words (an out-of-memory report, a stack) are on stderr, above the report.
      const how =
        signal !== null
          ? `was killed by ${signal}${signal === 'SIGABRT' ? ' (out of memory? see its stderr above)' : ''}`
          : `exited with code ${code ?? 'null'}`;
      for (const id of ids)
        if (!seen.has(id))
          onResult({
            id,
            kind: 'spec',
            status: 'error',
            error: `the shard process ${how} before this case finished`,
            fixes: [],
            notes: [],
          });
      resolve();
    });
    const { onProgress: _ignored, ...plain } = options;
    child.stdin.end(JSON.stringify({ ...plain, cases: ids, runner, concurrency: 1 }));
  });
}

export async function runSuite(options: SuiteOptions = {}): Promise<SuiteReport> {
  const started = Date.now();
  const runner = chooseRunner(options.runner ?? 'auto');
  const loaded = await loadCases({
    ...(options.casesDir !== undefined && { dir: options.casesDir }),
    filter: options.cases ?? [],
  });
  const llm = llmConfigOf(options.env ?? {});
  // Built here too so that a bad provider setting fails before any case runs.
  const provider = createProvider({
    config: llm,
    overrides: {
      ...(options.provider !== undefined && { provider: options.provider }),
      ...(options.model !== undefined && { model: options.model }),
    },
  });
  const width = clampWidth(options.concurrency);
  const results: CaseResult[] = loaded.invalid.map((i) => ({
    id: i.id,
    kind: 'invalid',
    status: 'invalid',
    error: i.error,
    fixes: [],
    notes: [],
  }));
  const total = loaded.cases.length;
  let done = 0;
  const record = (result: CaseResult): void => {
    results.push(result);
    done += 1;
    options.onProgress?.({ done, total, id: result.id, status: result.status });
  };
  const runnable: LoadedCase[] = [];
  for (const c of loaded.cases) {
    if (c.skip !== undefined) record(skipped(c, c.skip));
    else runnable.push(c);
  }
  // Biggest specs first, so that one slow case does not start last and hold up the whole run.
  const weights = new Map<string, number>();
  for (const c of runnable) weights.set(c.id, await weightOf(c));
  runnable.sort((a, b) => (weights.get(b.id) ?? 0) - (weights.get(a.id) ?? 0));
  if (width <= 1 || runnable.length <= 1 || options.inProcess === true) {
    await runCasesHere({ cases: runnable, runner, options, onResult: record });
  } else {
    // Longest first onto the least loaded shard.
    const shards = Array.from({ length: Math.min(width, runnable.length) }, () => ({
      ids: [] as string[],
      load: 0,
    }));
    for (const c of runnable) {
      const target = shards.reduce((a, b) => (b.load < a.load ? b : a));
      target.ids.push(c.id);
      target.load += (weights.get(c.id) ?? 0) + 200_000;
    }
    await Promise.all(
      shards.map((s) => runShard({ ids: s.ids, options, runner: runner.name, onResult: record })),
    );
  }
  results.sort((a, b) => a.id.localeCompare(b.id));
  return {
    header: {
      weft: WEFT_VERSION,
      node: process.version,
      startedAt: new Date(started).toISOString(),
      wallMs: Date.now() - started,
      runner: runner.name,
      provider: provider.kind,
      model: provider.kind === 'offline' ? null : (options.model ?? llm.model ?? null),
      concurrency: width,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      // The spec mock generates data from seed 1 (server/mock/spec-mock.ts); the offline agent is deterministic.
      seed: 1,
      cases: options.cases ?? [],
    },
    overall: aggregate(results),
    cases: results,
  };
}

export const REPORTS_DIR = path.join(import.meta.dirname, 'reports');

/** Writes `<dir>/<timestamp>.json` and `.md`; returns their paths. */
export async function writeReport({
  report,
  dir = REPORTS_DIR,
  markdown,
}: {
  report: SuiteReport;
  dir?: string;
  markdown: string;
}): Promise<{ json: string; md: string }> {
  await fs.mkdir(dir, { recursive: true });
  const stamp = report.header.startedAt.replace(/[:.]/g, '-');
  const json = path.join(dir, `${stamp}.json`);
  const md = path.join(dir, `${stamp}.md`);
  await fs.writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await fs.writeFile(md, markdown);
  return { json, md };
}
