import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../../../test/db.ts';
import { auditTenancy } from '../../db/catalog-audit.ts';
import { APP_ROLE } from '../../db/database.ts';
import {
  deadLetterQueueOf,
  openQueue,
  QUEUE_SCHEMA,
  type JobQueue,
  type QueuedJob,
} from './queue.ts';

const CRASH_WORKER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'crash-worker.ts',
);
const WAIT = { timeout: 30_000, interval: 50 };
const NO_RETRY = { limit: 0, delaySeconds: 0, backoff: false, maxDelaySeconds: 0 };

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(TEST_DRIVERS)('job queue on pg-boss (%s)', (driver) => {
  let t: TestDatabase;
  let queue: JobQueue;
  const errors: Error[] = [];

  const jobState = async (id: string) => {
    const [rows] = await t.db.executeSql(`SELECT state FROM ${QUEUE_SCHEMA}.job WHERE id = $1`, [
      id,
    ]);
    return (rows?.[0] as { state: string } | undefined)?.state;
  };

  beforeAll(async () => {
    t = await createTestDatabase(driver);
    queue = await openQueue({
      db: t.db,
      onError: (error) => errors.push(error),
      onWarning: (warning) => errors.push(new Error(warning.message)),
      pollingIntervalSeconds: 0.5,
      maintenanceIntervalSeconds: 1,
    });
  });
  afterAll(async () => {
    await queue.close();
    await t.close();
  });

  it("installs its schema as the owner, out of the application role's reach", async () => {
    const [[privileges]] = (await t.db.executeSql(
      `SELECT n.nspowner::regrole::text AS owner, has_schema_privilege($1, n.oid, 'USAGE') AS usage
         FROM pg_namespace n WHERE n.nspname = $2`,
      [APP_ROLE, QUEUE_SCHEMA],
    )) as [[{ owner: string; usage: boolean }]];
    expect(privileges.owner).not.toBe(APP_ROLE);
    expect(privileges.usage).toBe(false);
    await expect(
      t.db.tenant({ orgId: randomUUID() }, (sql) =>
        sql.query(`SELECT id FROM ${QUEUE_SCHEMA}.job`),
      ),
    ).rejects.toThrow(/permission denied/);
    expect(await t.db.owner(auditTenancy)).toEqual([]);
  });

  it('runs a sent job and marks it completed', async () => {
    await queue.ensureQueue({ name: 'basic', retry: NO_RETRY, expireInSeconds: 60 });
    // Twice: the second call finds the queues and updates them.
    await queue.ensureQueue({ name: 'basic', retry: NO_RETRY, expireInSeconds: 60 });
    const seen = deferred<QueuedJob>();
    const stop = await queue.work({
      queue: 'basic',
      concurrency: 2,
      handler: (job) => {
        seen.resolve(job);
        return Promise.resolve();
      },
    });
    const id = await queue.send({ queue: 'basic', data: { run: 'r1', n: 1 } });
    const job = await seen.promise;
    expect(job).toEqual({ id, data: { run: 'r1', n: 1 }, retryCount: 0 });
    await vi.waitFor(async () => expect(await jobState(id)).toBe('completed'), WAIT);
    await stop();
  });

  it('wakes an idle worker of another instance on send, without waiting for its poll', async () => {
    await queue.ensureQueue({ name: 'wake', retry: NO_RETRY, expireInSeconds: 60 });
    // Polls once an hour: only the notification of a send can get the second job run.
    const sleepy = await openQueue({
      db: t.db,
      onError: (error) => errors.push(error),
      onWarning: (warning) => errors.push(new Error(warning.message)),
      pollingIntervalSeconds: 3600,
    });
    const seen: string[] = [];
    let next = deferred<void>();
    await sleepy.work({
      queue: 'wake',
      concurrency: 1,
      handler: (job) => {
        seen.push(job.id);
        next.resolve();
        return Promise.resolve();
      },
    });
    const first = await queue.send({ queue: 'wake', data: {} });
    await next.promise;
    next = deferred<void>();
    // Let the worker finish its follow-up fetch and fall asleep.
    await new Promise((r) => setTimeout(r, 200));
    const second = await queue.send({ queue: 'wake', data: {} });
    await next.promise;
    expect(seen).toEqual([first, second]);
    await sleepy.close();
  });

  it('refuses a second job with the same id', async () => {
    await queue.ensureQueue({ name: 'dedup', retry: NO_RETRY, expireInSeconds: 60 });
    const id = randomUUID();
    expect(await queue.send({ queue: 'dedup', data: {}, id })).toBe(id);
    await expect(queue.send({ queue: 'dedup', data: {}, id })).rejects.toThrow(/duplicate/);
  });

  it('retries a failing handler with the configured backoff until it succeeds', async () => {
    // Backoff from 1 s, capped at 2 s: the first retry waits 1–2 s, the second exactly 2 s.
    const retry = { limit: 2, delaySeconds: 1, backoff: true, maxDelaySeconds: 2 };
    await queue.ensureQueue({ name: 'flaky', retry, expireInSeconds: 60 });
    const attempts: { retryCount: number; at: number }[] = [];
    const stop = await queue.work({
      queue: 'flaky',
      concurrency: 1,
      handler: (job) => {
        attempts.push({ retryCount: job.retryCount, at: Date.now() });
        return attempts.length < 3 ? Promise.reject(new Error('boom')) : Promise.resolve();
      },
    });
    const id = await queue.send({ queue: 'flaky', data: { run: 'r2' } });
    await vi.waitFor(async () => expect(await jobState(id)).toBe('completed'), WAIT);
    await stop();
    expect(attempts.map((a) => a.retryCount)).toEqual([0, 1, 2]);
    // Lower bounds only (the policy held back each retry); how much later it ran is not tested.
    const [a, b, c] = attempts.map((x) => x.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(950);
    expect(c - b).toBeGreaterThanOrEqual(1950);
  });

  it('moves a job that keeps failing to the dead-letter queue with its data', async () => {
    const retry = { limit: 2, delaySeconds: 0, backoff: false, maxDelaySeconds: 0 };
    await queue.ensureQueue({ name: 'doomed', retry, expireInSeconds: 60 });
    let runs = 0;
    const stop = await queue.work({
      queue: 'doomed',
      concurrency: 1,
      handler: () => {
        runs += 1;
        return Promise.reject(new Error('always'));
      },
    });
    const dead = deferred<QueuedJob>();
    const stopDead = await queue.work({
      queue: deadLetterQueueOf('doomed'),
      concurrency: 1,
      handler: (job) => {
        dead.resolve(job);
        return Promise.resolve();
      },
    });
    const id = await queue.send({ queue: 'doomed', data: { run: 'r3', input: { a: [1, 2] } } });
    const letter = await dead.promise;
    expect(letter.data).toEqual({ run: 'r3', input: { a: [1, 2] } });
    expect(runs).toBe(3);
    expect(await jobState(id)).toBe('failed');
    await Promise.all([stop(), stopDead()]);
  });

  it.runIf(driver === 'pg')(
    'retries the job of a worker process killed mid-job once it expires',
    async () => {
      await queue.ensureQueue({
        name: 'crashy',
        retry: { limit: 1, delaySeconds: 0, backoff: false, maxDelaySeconds: 0 },
        expireInSeconds: 2,
      });
      const child = spawn(process.execPath, [CRASH_WORKER, t.url ?? '', 'crashy'], {
        env: { PATH: process.env['PATH'] ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        await vi.waitFor(() => expect(out, err).toContain('ready'), WAIT);
        const id = await queue.send({ queue: 'crashy', data: { run: 'r4' } });
        await vi.waitFor(() => expect(out, err).toContain(`started ${id}`), WAIT);
        child.kill('SIGKILL');
        await exited;
        expect(await jobState(id)).toBe('active');

        const rerun = deferred<QueuedJob>();
        const stop = await queue.work({
          queue: 'crashy',
          concurrency: 1,
          handler: (job) => {
            rerun.resolve(job);
            return Promise.resolve();
          },
        });
        expect(await rerun.promise).toEqual({ id, data: { run: 'r4' }, retryCount: 1 });
        await vi.waitFor(async () => expect(await jobState(id)).toBe('completed'), WAIT);
        await stop();
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    },
    60_000,
  );

  it('close() waits for running handlers, then fails those that outlive its timeout', async () => {
    const own = await openQueue({
      db: t.db,
      onError: (error) => errors.push(error),
      pollingIntervalSeconds: 0.5,
      closeTimeoutSeconds: 1,
    });
    await own.ensureQueue({ name: 'closing', retry: NO_RETRY, expireInSeconds: 60 });
    const started = deferred<string>();
    const release = deferred<void>();
    await own.work({
      queue: 'closing',
      concurrency: 1,
      handler: async (job) => {
        started.resolve(job.id);
        await release.promise;
      },
    });
    const finished = await own.send({ queue: 'closing', data: {} });
    expect(await started.promise).toBe(finished);
    let closed = false;
    const closing = own.close().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release.resolve();
    await closing;
    expect(await jobState(finished)).toBe('completed');

    // A handler that never ends: close() gives up after its timeout and fails the attempt.
    const stuck = await openQueue({
      db: t.db,
      onError: (error) => errors.push(error),
      pollingIntervalSeconds: 0.5,
      closeTimeoutSeconds: 1,
    });
    const hanging = deferred<string>();
    await stuck.work({
      queue: 'closing',
      concurrency: 1,
      handler: (job) => {
        hanging.resolve(job.id);
        return new Promise<void>(() => undefined);
      },
    });
    const abandoned = await stuck.send({ queue: 'closing', data: {} });
    expect(await hanging.promise).toBe(abandoned);
    await stuck.close();
    await stuck.close();
    expect(await jobState(abandoned)).toBe('failed');
  });

  it('reported no errors or warnings', () => {
    expect(errors).toEqual([]);
  });
});
