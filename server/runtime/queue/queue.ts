/**
 * The job queue for asynchronous workflow executions (the Standard and Long tiers), on pg-boss 12.
 *
 * Storage, retries, dead letters and expiry are pg-boss's; running the handlers is ours.
 *
 * Database: one code path for both drivers. pg-boss runs over `Database.executeSql` (its `db`
 * option), as the owner role, in its own schema (`pgboss`); `weft_app` has no USAGE on it, and the
 * catalog audit, which covers `public`, is unaffected. On pg, `executeSql` uses a small pool of its
 * own rather than pg-boss's built-in pool from the URL: the queue then needs nothing but the
 * `Database`, its polling can never take connections from tenant transactions or auth, and
 * `db.close()` owns every connection. On PGlite, parameterless SQL goes through `exec` and returns
 * every statement's rows (pg-boss's `BEGIN … RETURNING … COMMIT` blocks need them), and a failed
 * explicit transaction is rolled back before anything else can run on the single connection.
 *
 * Workers: each `work()` is one fetch loop that claims up to `concurrency` jobs with pg-boss's
 * `fetch` (SKIP LOCKED) and settles each with `complete`/`fail` by attempt. pg-boss's own `work()`
 * was measured first and dropped: each of its C pollers sleeps a full polling interval after every
 * job, even with a backlog, and every NOTIFY woke all of them at once (pg 322 jobs/s, PGlite 36, at
 * C = 10; this loop: about 1,000 and 600). The loop fetches again at once when a slot frees or a
 * batch came back full, and otherwise sleeps `pollingIntervalSeconds` or until woken.
 *
 * Wake-up: a send on a queue created here NOTIFYs in pg-boss's insert; `db.listen` delivers it (a
 * dedicated reconnecting connection on pg, so other processes wake too; in-process on PGlite), and
 * a send also wakes this process's workers directly. Polling stays the floor: for retries whose
 * delay has passed and for notifications lost while the LISTEN connection was down. Waking cuts
 * send-to-start latency from about half a polling interval to a few milliseconds; bench/README.md
 * ("queue") has the numbers.
 *
 * Expiry: a job whose worker died (SIGKILL, a lost machine) stays `active` until it has run for
 * its `expireInSeconds`; the next maintenance pass after that (every `maintenanceIntervalSeconds`,
 * default 10) fails the attempt and it is retried per the policy. A handler in a live process that
 * outlives its expiry is not interrupted: its job is retried elsewhere, and its own late
 * completion is ignored (settled by attempt). Handlers must therefore be idempotent, as any
 * at-least-once queue requires; workflow steps are memoized for that.
 *
 * Errors of fetching, settling and maintenance go to `onError`; nothing is thrown into the void.
 * Fetching resumes by itself when the database is back, and an outcome that could not be recorded
 * because the database was unreachable is retried for up to a minute (`SETTLE_RETRY_MS`). A
 * handler's throw only fails its attempt. `close()` (and a worker's stop function) stops fetching,
 * waits up to `closeTimeoutSeconds` for running handlers, fails those still running (they are
 * retried), and leaves no timer that would keep the process alive.
 */
import { PgBoss } from 'pg-boss';
import { isConnectionError, type Database } from '../../db/database.ts';

// pg-boss exports its types only through its signatures.
type BossDatabase = NonNullable<ConstructorParameters<typeof PgBoss>[0]['db']>;

/** The schema pg-boss installs into; owned by the owner role, unreachable for `weft_app`. */
export const QUEUE_SCHEMA = 'pgboss';

export interface RetryPolicy {
  /** Retries after the first attempt; the job then goes to the dead-letter queue. */
  readonly limit: number;
  /** Delay before the first retry (whole seconds). */
  readonly delaySeconds: number;
  /** Doubles the delay on each retry (with jitter up to ×2), capped by `maxDelaySeconds`. */
  readonly backoff: boolean;
  readonly maxDelaySeconds: number;
}

/** DESIGN.md's policy for the async tiers: 3 attempts, 5 s, ×2 backoff, 60 s cap. */
export const WORKFLOW_RETRY: RetryPolicy = {
  limit: 2,
  delaySeconds: 5,
  backoff: true,
  maxDelaySeconds: 60,
};

export interface QueueDefinition {
  readonly name: string;
  readonly retry: RetryPolicy;
  /** How long one attempt may stay active before it is failed (and retried). */
  readonly expireInSeconds: number;
}

export interface QueuedJob {
  readonly id: string;
  readonly data: Record<string, unknown>;
  /** 0 on the first attempt. */
  readonly retryCount: number;
}

export interface JobQueue {
  /**
   * Creates the queue and its dead-letter queue (`deadLetterQueueOf(name)`), or updates their
   * policy if they exist. Call before `send` or `work` on that queue.
   */
  ensureQueue(queue: QueueDefinition): Promise<void>;
  /** Enqueues a job and returns its id. With `id` (a UUID), a duplicate send is refused. */
  send(job: {
    queue: string;
    data: Record<string, unknown>;
    id?: string;
    expireInSeconds?: number;
    retry?: RetryPolicy;
  }): Promise<string>;
  /**
   * Runs `handler` for each job, up to `concurrency` at once in this process. A throw fails the
   * attempt: it is retried per the queue's policy, then moved to the dead-letter queue with its
   * original data (work that queue's name to handle those). Resolves with a function that stops
   * this worker, waiting for its running handlers.
   */
  work(worker: {
    queue: string;
    concurrency: number;
    handler: (job: QueuedJob) => Promise<void>;
  }): Promise<() => Promise<void>>;
  /** Stops every worker (see the module comment) and pg-boss's timers; leaves `db` open. */
  close(): Promise<void>;
}

export interface QueueOptions {
  readonly db: Database;
  /** Failures of polling, maintenance or a handler's bookkeeping; never thrown elsewhere. */
  readonly onError: (error: Error) => void;
  /** pg-boss warnings (slow query, backlog, LISTEN unavailable). Default: ignored. */
  readonly onWarning?: (warning: { message: string; data?: unknown }) => void;
  /**
   * Seconds between fetches of an idle worker (each costs one query per `work()`); with
   * `wakeOnSend` this only bounds the delay of retries and missed notifications. Default 2.
   */
  readonly pollingIntervalSeconds?: number;
  /** Seconds between maintenance passes (expiry of dead workers' jobs, stats); ≥ 1. Default 10. */
  readonly maintenanceIntervalSeconds?: number;
  /** How long `close()` waits for running handlers before failing them. Default 30. */
  readonly closeTimeoutSeconds?: number;
  /** Wake workers on send through LISTEN/NOTIFY; false leaves polling alone. Default true. */
  readonly wakeOnSend?: boolean;
}

/** `send` with an `id` that a job of that queue already has (queued, running or kept). */
export class DuplicateJobError extends Error {
  constructor(queue: string, id: string) {
    super(`job ${id} was not queued on ${queue}: a duplicate`);
    this.name = 'DuplicateJobError';
  }
}

/**
 * How long a finished handler keeps retrying to record its outcome while the database is
 * unreachable. Without it, a job whose outcome was lost in a restart stays active until its
 * expiry (the run's timeout, up to hours) before it is retried.
 */
const SETTLE_RETRY_MS = 60_000;

export function deadLetterQueueOf(name: string): string {
  return `${name}__dead_letter`;
}

function retryOptions(retry: RetryPolicy) {
  return {
    retryLimit: retry.limit,
    retryDelay: retry.delaySeconds,
    retryBackoff: retry.backoff,
    ...(retry.backoff ? { retryDelayMax: retry.maxDelaySeconds } : {}),
  };
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * pg-boss's `db` option over our Database: owner SQL, and notifications through `db.listen`, each
 * of which (a queue's name) also goes to `wake`.
 */
function adapterOf({
  db,
  wake,
}: {
  db: Database;
  wake: (queue: string | null) => void;
}): BossDatabase {
  return {
    async executeSql(text, values) {
      // pg-boss reads multi-statement results as one list of rows, as its own adapters return them.
      return { rows: (await db.executeSql(text, values)).flat() };
    },
    async listen(channel, onNotification, onReconnect) {
      const listener = await db.listen(channel, {
        onMessage(queue) {
          wake(queue);
          onNotification(queue);
        },
        // Messages sent while the connection was down are lost: fetch once now; polling covers the
        // rest of the outage.
        onReset() {
          wake(null);
          onReconnect();
        },
      });
      return listener;
    },
  };
}

/** One `work()` registration: a fetch loop that keeps up to `concurrency` handlers running. */
function startDispatcher({
  boss,
  queue,
  concurrency,
  handler,
  pollMs,
  onError,
}: {
  boss: PgBoss;
  queue: string;
  concurrency: number;
  handler: (job: QueuedJob) => Promise<void>;
  pollMs: number;
  onError: (error: Error) => void;
}) {
  const running = new Map<Promise<void>, { id: string; retryCount: number }>();
  let stopping = false;
  let woken = false;
  let interrupt: (() => void) | undefined;

  const wake = () => {
    woken = true;
    interrupt?.();
  };

  const run = (job: { id: string; data: object; retryCount: number }) => {
    const attempt = { id: job.id, retryCount: job.retryCount };
    const done = (async () => {
      let failure: Error | undefined;
      try {
        await handler({
          id: job.id,
          data: job.data as Record<string, unknown>,
          retryCount: job.retryCount,
        });
      } catch (error) {
        failure = toError(error);
      }
      const giveUpAt = Date.now() + SETTLE_RETRY_MS;
      for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
        try {
          // By attempt, not id: if the job expired meanwhile and was retried, this changes nothing.
          if (failure === undefined) await boss.complete(queue, attempt);
          else await boss.fail(queue, attempt, { message: failure.message });
          break;
        } catch (error) {
          onError(toError(error));
          // Past this, or when stopping, the job's expiry retries it.
          if (stopping || !isConnectionError(error) || Date.now() + delay > giveUpAt) break;
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    })().finally(() => {
      running.delete(done);
      wake();
    });
    running.set(done, attempt);
  };

  const loop = (async () => {
    while (!stopping) {
      woken = false;
      const free = concurrency - running.size;
      let full = false;
      if (free > 0) {
        try {
          const jobs = await boss.fetch<object>(queue, { batchSize: free });
          for (const job of jobs) run(job);
          full = jobs.length === free;
        } catch (error) {
          onError(toError(error));
        }
      }
      // A full batch suggests more are ready: fetch again as soon as a slot is free.
      if (stopping || woken || (full && running.size < concurrency)) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        interrupt = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      interrupt = undefined;
    }
  })();

  return {
    queue,
    wake,
    /** Stops fetching; waits for running handlers until `deadline`, then fails what still runs. */
    async stop(deadline: Promise<void>) {
      stopping = true;
      interrupt?.();
      await loop;
      await Promise.race([Promise.allSettled(running.keys()), deadline]);
      const abandoned = [...running.values()];
      if (abandoned.length > 0) {
        // Retried per the policy, by another worker or after a restart.
        await boss
          .fail(queue, abandoned, { message: 'worker stopped before the job finished' })
          .catch((error: unknown) => onError(toError(error)));
      }
    },
  };
}

type Dispatcher = ReturnType<typeof startDispatcher>;

function timeout(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

export async function openQueue({
  db,
  onError,
  onWarning,
  pollingIntervalSeconds = 2,
  maintenanceIntervalSeconds = 10,
  closeTimeoutSeconds = 30,
  wakeOnSend = true,
}: QueueOptions): Promise<JobQueue> {
  const dispatchers = new Set<Dispatcher>();
  const wake = (queue: string | null) => {
    for (const d of dispatchers) if (queue === null || d.queue === queue) d.wake();
  };
  const boss = new PgBoss({
    db: adapterOf({ db, wake }),
    backend: db.driver === 'pglite' ? 'pglite' : 'postgres',
    schema: QUEUE_SCHEMA,
    useListenNotify: wakeOnSend,
    // Expiry of jobs whose worker died is found by the monitor pass, which runs when both timers
    // are due: keep them equal.
    superviseIntervalSeconds: maintenanceIntervalSeconds,
    monitorIntervalSeconds: maintenanceIntervalSeconds,
    // No cron schedules or instance registry yet: fewer background queries.
    schedule: false,
    registerInstance: false,
  });
  boss.on('error', (error: unknown) => onError(toError(error)));
  boss.on('warning', (warning: { message: string; data?: unknown }) => onWarning?.(warning));
  await boss.start();

  const stopDispatcher = async (d: Dispatcher, deadline: Promise<void>) => {
    dispatchers.delete(d);
    await d.stop(deadline);
  };
  let closing: Promise<void> | undefined;

  return {
    async ensureQueue({ name, retry, expireInSeconds }) {
      const deadLetter = deadLetterQueueOf(name);
      const policy = { ...retryOptions(retry), expireInSeconds, notify: true };
      for (const [queue, options] of [
        [deadLetter, { ...policy }],
        [name, { ...policy, deadLetter }],
      ] as const) {
        if (await boss.getQueue(queue)) await boss.updateQueue(queue, options);
        else await boss.createQueue(queue, options);
      }
    },

    async send({ queue, data, id, expireInSeconds, retry }) {
      const jobId = await boss.send(queue, data, {
        ...(id === undefined ? {} : { id }),
        ...(expireInSeconds === undefined ? {} : { expireInSeconds }),
        ...(retry === undefined ? {} : retryOptions(retry)),
      });
      if (jobId === null) throw new DuplicateJobError(queue, id ?? '');
      // Workers in this process need not wait for the notification's round trip.
      if (wakeOnSend) wake(queue);
      return jobId;
    },

    work({ queue, concurrency, handler }) {
      if (closing !== undefined) return Promise.reject(new Error('the job queue is closed'));
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        return Promise.reject(
          new Error(`concurrency must be a positive integer (got ${concurrency})`),
        );
      }
      const d = startDispatcher({
        boss,
        queue,
        concurrency,
        handler,
        pollMs: pollingIntervalSeconds * 1000,
        onError,
      });
      dispatchers.add(d);
      let stopped: Promise<void> | undefined;
      return Promise.resolve(() => {
        stopped ??= (async () => {
          const limit = timeout(closeTimeoutSeconds * 1000);
          try {
            await stopDispatcher(d, limit.promise);
          } finally {
            limit.cancel();
          }
        })();
        return stopped;
      });
    },

    close() {
      closing ??= (async () => {
        const limit = timeout(closeTimeoutSeconds * 1000);
        try {
          await Promise.all([...dispatchers].map((d) => stopDispatcher(d, limit.promise)));
          await boss.stop({ graceful: false, close: false });
        } catch (error) {
          onError(toError(error));
        } finally {
          limit.cancel();
        }
      })();
      return closing;
    },
  };
}
