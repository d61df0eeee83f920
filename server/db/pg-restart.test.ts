// Integration (slow, ~40 s): a throwaway Postgres cluster restarted under load, with `weft start`
// and `weft worker` as real child processes. It still runs in CI whenever `initdb` is on PATH.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWeftProcess, type WeftProcess } from '../../test/processes.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bin/weft.ts');
const HAS_INITDB = spawnSync('initdb', ['--version']).status === 0;
const AS_ROOT = process.getuid?.() === 0;

/** Postgres refuses to run as root: run its tools as `postgres` when the tests run as root. */
function asPostgres(args: string[]): [string, string[]] {
  return AS_ROOT ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0] ?? '', args.slice(1)];
}

function pgTool(args: string[]): { status: number | null; output: string } {
  const [cmd, rest] = asPostgres(args);
  const r = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Asynchronous, so that the load, the side-effect server and the timers go on meanwhile. */
function pgToolAsync(args: string[]): Promise<void> {
  const [cmd, rest] = asPostgres(args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.join(' ')} failed: ${output}`)),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Outcome =
  | { kind: 'accepted'; tier: 'instant' | 'standard'; executionId: string }
  /** An Instant run that ran while its record could not be written: said so, not retried. */
  | { kind: 'unrecorded'; executionId: string }
  | { kind: 'unavailable'; retryAfter: string | null; code: unknown; requestId: unknown }
  | { kind: 'other'; status: number; body: string }
  | { kind: 'hang' | 'network'; message: string };

if (!HAS_INITDB) {
  // eslint-disable-next-line no-console -- say why the integration test did not run
  console.warn('pg-restart.test.ts skipped: initdb (Postgres 15+) is not on PATH');
}

describe.skipIf(!HAS_INITDB)('a Postgres restart under load (integration)', () => {
  let dir: string;
  let dataDir: string;
  let port: number;
  let databaseUrl: string;
  let effects: Server;
  let effectsUrl: string;
  const effectLog: { execution: string; attempt: number }[] = [];
  let api: WeftProcess | undefined;
  let worker: ChildProcess | undefined;
  let workerOut = '';

  /** A short-lived superuser connection to the throwaway cluster. */
  const withAdmin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  const pgCtl = (...args: string[]) => {
    const r = pgTool(['pg_ctl', '-D', dataDir, '-w', '-t', '30', ...args]);
    if (r.status !== 0) throw new Error(`pg_ctl ${args.join(' ')} failed: ${r.output}`);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-pg-restart-'));
    dataDir = path.join(dir, 'data');
    if (AS_ROOT) {
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
      chownSync(dir, uid, gid);
    }
    const init = pgTool(['initdb', '-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
    port = await freePort();
    // fsync off: a killed server (immediate mode) loses nothing the kernel already has, and this
    // cluster never outlives the test. synchronous_commit stays on: commits must be durable.
    pgCtl(
      '-l',
      path.join(dir, 'log'),
      '-o',
      `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    );
    databaseUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;

    effects = createServer((req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      effectLog.push({ execution: q.get('execution') ?? '', attempt: Number(q.get('attempt')) });
      res.end('{}');
    });
    await new Promise<void>((resolve) => effects.listen(0, '127.0.0.1', resolve));
    effectsUrl = `http://127.0.0.1:${(effects.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await api?.kill();
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((resolve) => worker?.once('exit', resolve));
      worker.kill('SIGKILL');
      await exited;
    }
    await new Promise((resolve) => effects.close(resolve));
    if (dataDir) pgTool(['pg_ctl', '-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('stays up, answers 503 with Retry-After during the outage, and runs every accepted execution once', async () => {
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '6',
      WEFT_DATA_DIR: path.join(dir, 'weft'),
      WEFT_SSRF_TEST_ALLOWLIST: new URL(effectsUrl).host,
      WEFT_RATE_LIMIT_PER_MINUTE: '1000000',
      WEFT_SANDBOX_PROCESSES: '1',
      WEFT_WORKER_CONCURRENCY: '4',
      WEFT_QUEUE_POLL_SECONDS: '0.5',
      WEFT_QUEUE_MAINTENANCE_SECONDS: '1',
    };
    api = await startWeftProcess(env);
    const key = /live\s+(wk_live_\S+)/.exec(api.stdout())?.[1];
    expect(key, api.stdout()).toBeDefined();
    const headers = { 'x-fastn-api-key': key ?? '', 'content-type': 'application/json' };
    const call = (method: string, url: string, body?: unknown) =>
      fetch(`${api?.url ?? ''}${url}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });

    // Each run calls the side-effect server once, in a step on the Standard tier.
    const effect = `ctx.http.fetch('${effectsUrl}/effect?execution=' + ctx.executionId + '&attempt=' + ctx.attempt)`;
    for (const [name, tier, source] of [
      [
        'inst',
        'instant',
        `export default async function (ctx) { await ${effect}; return { ok: true }; }`,
      ],
      [
        'std',
        'standard',
        `export default async function (ctx) { const a = await ctx.step('effect', async () => { await ${effect}; return ctx.attempt; }); return { a }; }`,
      ],
    ] as const) {
      const created = await call('POST', '/api/v1/workflows', {
        name,
        tier,
        source,
        ...(tier === 'standard'
          ? {
              timeoutMs: 5_000,
              // Room for a slow restart on a loaded machine: an attempt that meets the outage
              // fails and is retried, and ten of them span about 40 s.
              retry: { maxAttempts: 10, initialIntervalMs: 1_000, maxIntervalMs: 5_000 },
            }
          : {}),
      });
      expect(created.status, await created.text()).toBe(201);
      const published = await call('POST', `/api/v1/workflows/${name}/publish`, {
        deployTo: ['production'],
      });
      expect(published.status, await published.text()).toBe(201);
    }

    worker = spawn(process.execPath, [BIN, 'worker'], {
      env: { PATH: process.env['PATH'] ?? '', ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      worker?.stdout?.on('data', (d: Buffer) => {
        workerOut += d.toString();
        if (workerOut.includes('workers started')) resolve();
      });
      worker?.stderr?.on('data', (d: Buffer) => (workerOut += d.toString()));
      worker?.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${workerOut}`)));
    });

    const outcomes: Outcome[] = [];
    const runOnce = async (tier: 'instant' | 'standard'): Promise<Outcome> => {
      try {
        const res = await call(
          'POST',
          `/api/v1/workflows/${tier === 'instant' ? 'inst' : 'std'}/run`,
          {
            input: {},
          },
        );
        const text = await res.text();
        if (res.status === 200 || res.status === 202) {
          const body = JSON.parse(text) as {
            executionId: string;
            status: string;
            error?: { message?: string };
          };
          if (tier === 'instant' && body.error?.message?.includes('could not be stored')) {
            return { kind: 'unrecorded', executionId: body.executionId };
          }
          if (tier === 'instant' && body.status !== 'completed') {
            return { kind: 'other', status: res.status, body: text };
          }
          return { kind: 'accepted', tier, executionId: body.executionId };
        }
        if (res.status === 503) {
          const body = JSON.parse(text) as { error?: { code?: unknown; requestId?: unknown } };
          return {
            kind: 'unavailable',
            retryAfter: res.headers.get('retry-after'),
            code: body.error?.code,
            requestId: body.error?.requestId,
          };
        }
        return { kind: 'other', status: res.status, body: text };
      } catch (error) {
        const e = error as Error;
        return { kind: e.name === 'TimeoutError' ? 'hang' : 'network', message: e.message };
      }
    };
    let loading = true;
    const clients = [0, 1, 2, 3].map(async (i) => {
      let n = 0;
      while (loading) {
        const outcome = await runOnce((i + n++) % 2 === 0 ? 'instant' : 'standard');
        outcomes.push(outcome);
        // A refused request is retried soon, not after Retry-After: the test watches the outage.
        if (outcome.kind !== 'accepted') await sleep(50);
      }
    });
    const logs = () =>
      `api (exit ${api?.child.exitCode}): ${api?.stdout().slice(-3000)}${api?.stderr().slice(-3000)}\n` +
      `worker (exit ${worker?.exitCode}): ${workerOut.slice(-3000)}`;
    /** Recovered by itself: runs of both tiers are accepted again. */
    const recovered = async (from: number) => {
      const deadline = Date.now() + 20_000;
      const count = (tier: string) =>
        outcomes.slice(from).filter((o) => o.kind === 'accepted' && o.tier === tier).length;
      while (count('instant') < 5 || count('standard') < 5) {
        if (Date.now() > deadline) {
          throw new Error(
            `no recovery within 20 s: ${JSON.stringify(outcomes.slice(-5))}\n${logs()}`,
          );
        }
        await sleep(100);
      }
    };
    // Every LISTEN connection is back, listening, and none is left over from failed reconnects.
    const listening = async () =>
      (
        await withAdmin((c) =>
          c.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'weft-listen' AND query LIKE 'LISTEN %'",
          ),
        )
      ).rows[0]?.n ?? 0;

    await recovered(0);
    const listenersBefore = await listening();
    expect(listenersBefore).toBeGreaterThan(0);
    for (const mode of ['fast', 'immediate']) {
      await pgToolAsync(['pg_ctl', '-D', dataDir, '-w', '-t', '30', '-m', mode, 'restart']);
      await recovered(outcomes.length);
    }
    loading = false;
    await Promise.all(clients);
    await expect.poll(listening, { timeout: 15_000, interval: 250 }).toBe(listenersBefore);

    expect(api.child.exitCode, logs()).toBeNull();
    expect(worker.exitCode, logs()).toBeNull();
    const failures = outcomes.filter(
      (o) => o.kind === 'other' || o.kind === 'hang' || o.kind === 'network',
    );
    expect(failures, logs()).toEqual([]);
    const refused = outcomes.filter((o) => o.kind === 'unavailable');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r).toMatchObject({ code: 'unavailable', retryAfter: expect.stringMatching(/^\d+$/) });
      expect(typeof r.requestId).toBe('string');
    }

    // Every accepted execution ends completed, once.
    const accepted = outcomes.filter((o) => o.kind === 'accepted');
    const ids = new Set(accepted.map((o) => o.executionId));
    expect(ids.size).toBe(accepted.length);
    const settleBy = Date.now() + 60_000;
    let rows: { id: string; status: string; attempt: number }[] = [];
    for (;;) {
      rows = (
        await withAdmin((c) =>
          c.query<{ id: string; status: string; attempt: number }>(
            'SELECT id::text, status, attempt FROM executions',
          ),
        )
      ).rows;
      const unfinished = rows.filter((r) => ids.has(r.id) && r.status !== 'completed');
      if (unfinished.length === 0 || Date.now() > settleBy) break;
      await sleep(250);
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const o of accepted) {
      expect(byId.get(o.executionId)?.status, `${o.tier} ${o.executionId}\n${logs()}`).toBe(
        'completed',
      );
    }
    for (const o of outcomes.filter((u) => u.kind === 'unrecorded')) {
      expect(byId.has(o.executionId)).toBe(false);
      expect(effectLog.filter((e) => e.execution === o.executionId)).toHaveLength(1);
    }
    for (const o of accepted) {
      const runs = effectLog.filter((e) => e.execution === o.executionId);
      if (o.tier === 'instant') {
        expect(runs, o.executionId).toHaveLength(1);
      } else {
        // At least once (an attempt cut off by the restart is retried), never one attempt twice.
        expect(runs.length, o.executionId).toBeGreaterThan(0);
        expect(new Set(runs.map((r) => r.attempt)).size, o.executionId).toBe(runs.length);
      }
    }
  }, 180_000);
});
