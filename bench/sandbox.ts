/**
 * `npm run bench -- sandbox`: what running workflow code costs, sequentially, for a trivial
 * workflow (`return ctx.input.n + 1`) and one that makes a single host call:
 *
 * - cold: a new isolate per run (runInIsolate), as before isolates were reused;
 * - warm, in-process: the per-org isolate cache (createIsolateRunner) without the child process;
 * - warm, pool: through createSandboxPool (one child), so IPC to the child and back is included;
 * - warm, pool + 1 host call: the same with one `ctx.state.get`, answered at once by the host;
 * - pool, other org under a flood: the trivial run of one org through a pool of two children
 *   while another org keeps 60 CPU-bound runs (1 s of CPU each) in flight, so the row is how
 *   long a light org waits for a slot and a core when a heavy one fills the pool.
 *
 * The workflow does almost nothing, so each row is the sandbox's own cost per run.
 */
import { compileWorkflow } from '../server/runtime/sandbox/compile.ts';
import {
  createIsolateRunner,
  runInIsolate,
  type SandboxContext,
  type SandboxHost,
  type SandboxResult,
} from '../server/runtime/sandbox/isolate.ts';
import { createSandboxPool } from '../server/runtime/sandbox/pool.ts';
import { formatTable } from './table.ts';

export interface SandboxRow {
  target: string;
  runs: number;
  p50Us: number;
  p99Us: number;
  runsPerSec: number;
}

const CONTEXT: SandboxContext = {
  input: { n: 41 },
  headers: { 'x-request-id': 'bench' },
  trigger: { type: 'api' },
  customer: null,
  env: { name: 'production' },
  executionId: 'bench-execution',
};

const host: SandboxHost = {
  call: ({ name }) => Promise.resolve(name === 'state.get' ? '{"count":1}' : 'null'),
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function measure({
  target,
  runs,
  warmup,
  run,
  expected,
}: {
  target: string;
  runs: number;
  warmup: number;
  run: () => Promise<SandboxResult>;
  expected: unknown;
}): Promise<SandboxRow> {
  const check = (result: SandboxResult): void => {
    if (!result.ok || JSON.stringify(result.output) !== JSON.stringify(expected)) {
      throw new Error(`${target}: unexpected result ${JSON.stringify(result)}`);
    }
  };
  for (let i = 0; i < warmup; i++) check(await run());
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    check(await run());
    times.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return {
    target,
    runs,
    p50Us: percentile(times, 50) * 1000,
    p99Us: percentile(times, 99) * 1000,
    runsPerSec: runs / seconds,
  };
}

export async function runSandboxBench({
  runs = 5000,
  log,
}: {
  runs?: number;
  log: (s: string) => void;
}): Promise<SandboxRow[]> {
  const trivial = (
    await compileWorkflow({
      source: 'export default async function (ctx: any) { return ctx.input.n + 1; }',
      filename: 'trivial.ts',
    })
  ).code;
  const oneCall = (
    await compileWorkflow({
      source:
        "export default async function (ctx: any) { const s: any = await ctx.state.get('counter'); return s.count + ctx.input.n; }",
      filename: 'one-call.ts',
    })
  ).code;
  const rows: SandboxRow[] = [];

  log('sandbox: cold runs (a new isolate each)');
  rows.push(
    await measure({
      target: 'cold (new isolate)',
      runs: Math.min(500, runs),
      warmup: 20,
      run: () => runInIsolate({ code: trivial, context: CONTEXT, host }),
      expected: 42,
    }),
  );

  log('sandbox: warm runs in-process');
  const runner = createIsolateRunner();
  try {
    rows.push(
      await measure({
        target: 'warm, in-process',
        runs,
        warmup: 500,
        run: () => runner.run({ orgId: 'org-bench', code: trivial, context: CONTEXT, host }),
        expected: 42,
      }),
    );
    rows.push(
      await measure({
        target: 'warm, in-process + 1 host call',
        runs,
        warmup: 500,
        run: () => runner.run({ orgId: 'org-bench', code: oneCall, context: CONTEXT, host }),
        expected: 42,
      }),
    );
  } finally {
    runner.close();
  }

  log('sandbox: warm runs through the pool (one child process)');
  const pool = createSandboxPool({ size: 1 });
  try {
    rows.push(
      await measure({
        target: 'warm, pool (IPC)',
        runs,
        warmup: 500,
        run: () => pool.run({ orgId: 'org-bench', code: trivial, context: CONTEXT, host }),
        expected: 42,
      }),
    );
    rows.push(
      await measure({
        target: 'warm, pool + 1 host call',
        runs,
        warmup: 500,
        run: () => pool.run({ orgId: 'org-bench', code: oneCall, context: CONTEXT, host }),
        expected: 42,
      }),
    );
  } finally {
    await pool.close();
  }

  log('sandbox: one org floods a pool of two children, another runs trivial workflows');
  const spin = (
    await compileWorkflow({
      source: "export default async function (ctx: any) { await ctx.state.get('k'); for (;;) {} }",
      filename: 'spin.ts',
    })
  ).code;
  const shared = createSandboxPool({ size: 2 });
  let flooding = true;
  const floods = Array.from({ length: 60 }, async () => {
    while (flooding) {
      await shared.run({
        orgId: 'org-flood',
        code: spin,
        context: CONTEXT,
        host,
        limits: { cpuMs: 1000, wallMs: 10_000 },
      });
    }
  });
  try {
    rows.push(
      await measure({
        target: 'pool, other org under a flood',
        runs: Math.min(300, runs),
        warmup: 20,
        run: () => shared.run({ orgId: 'org-quiet', code: trivial, context: CONTEXT, host }),
        expected: 42,
      }),
    );
  } finally {
    flooding = false;
    await shared.close();
    await Promise.all(floods);
  }
  return rows;
}

export function sandboxTable(rows: SandboxRow[]): string {
  const head = ['target', 'runs', 'p50 µs', 'p99 µs', 'runs/s'];
  const cells = rows.map((r) => [
    r.target,
    String(r.runs),
    r.p50Us.toFixed(0),
    r.p99Us.toFixed(0),
    r.runsPerSec.toFixed(0),
  ]);
  return formatTable({ head, rows: cells });
}
