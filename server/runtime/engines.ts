import type { Logger } from 'pino';
import type { Keyring } from '../crypto/envelope.ts';
import type { Database } from '../db/database.ts';
import type { RetryPolicy as WorkflowRetry, Tier } from '../domain/workflow.ts';
import { deadLetterQueueOf, openQueue, type JobQueue, type RetryPolicy } from './queue/queue.ts';
import { createSandboxPool, type SandboxPool } from './sandbox/pool.ts';
import type { ConnectionRuntime } from '../modules/connections/runtime.ts';
import { readSecretValue } from '../modules/secrets/secrets.service.ts';
import { deleteState, getState, setState } from '../modules/state/state.service.ts';
import type { RunServices } from './host.ts';
import { createWorkflowRunner, type QueuedJob, type WorkflowRunner } from './runner.ts';
import { contextFromHeaders, injectTraceHeaders, withContext } from '../telemetry/tracing.ts';

/** One pg-boss queue per async tier, so Long runs never hold up Standard ones. */
export const TIER_QUEUES: Record<Exclude<Tier, 'instant'>, string> = {
  standard: 'workflow-standard',
  long: 'workflow-long',
};

/**
 * Time beyond a run's timeout before pg-boss fails an attempt whose worker went silent; longer
 * than the runner's lease grace, so the retry finds the lease expired and can take over.
 */
const EXPIRY_GRACE_SECONDS = 10;

export function queueOptionsOf(config: {
  queuePollSeconds: number;
  queueMaintenanceSeconds: number;
}): { pollingIntervalSeconds: number; maintenanceIntervalSeconds: number } {
  return {
    pollingIntervalSeconds: config.queuePollSeconds,
    maintenanceIntervalSeconds: config.queueMaintenanceSeconds,
  };
}

export function queueRetry(retry: WorkflowRetry): RetryPolicy {
  return {
    limit: retry.enabled ? retry.maxAttempts - 1 : 0,
    delaySeconds: Math.ceil(retry.initialIntervalMs / 1000),
    backoff: retry.backoff,
    maxDelaySeconds: Math.ceil(retry.maxIntervalMs / 1000),
  };
}

export function expirySeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) + EXPIRY_GRACE_SECONDS;
}

/** Everything that runs workflows in one process: sandbox processes, the queue, the runner. */
export interface WorkflowEngine {
  readonly runner: WorkflowRunner;
  readonly pool: SandboxPool;
  readonly queue: JobQueue;
  close(): Promise<void>;
}

export function runServices({ db, keyring }: { db: Database; keyring: Keyring }): RunServices {
  return {
    readSecret: ({ orgId, name }) => readSecretValue({ db, keyring, orgId, name }),
    getState: (key) => getState({ db, ...key }),
    setState: async (key) => {
      await setState({ db, ...key });
    },
    deleteState: async (key) => {
      await deleteState({ db, ...key });
    },
  };
}

export async function openWorkflowEngine({
  db,
  keyring,
  runtime,
  logger,
  sandboxProcesses,
  queueOptions = {},
}: {
  db: Database;
  keyring: Keyring;
  runtime: ConnectionRuntime;
  logger: Logger;
  sandboxProcesses: number;
  /** Polling and maintenance intervals (tests make them short). */
  queueOptions?: { pollingIntervalSeconds?: number; maintenanceIntervalSeconds?: number };
}): Promise<WorkflowEngine> {
  const pool = createSandboxPool({ size: sandboxProcesses, maxQueue: 10_000 });
  let queue: JobQueue | undefined;
  try {
    queue = await openQueue({
      db,
      onError: (error) => logger.error({ err: error }, 'workflow queue error'),
      ...queueOptions,
    });
    for (const name of Object.values(TIER_QUEUES)) {
      // The queue's own policy is a default; each job carries its workflow's retry policy.
      await queue.ensureQueue({
        name,
        retry: queueRetry({
          enabled: true,
          maxAttempts: 3,
          initialIntervalMs: 5_000,
          backoff: true,
          maxIntervalMs: 60_000,
        }),
        expireInSeconds: expirySeconds(15 * 60_000),
      });
    }
    const jobs = queue;
    const runner = await createWorkflowRunner({
      db,
      runtime,
      services: runServices({ db, keyring }),
      pool,
      logger,
      queue: {
        async enqueue(job: QueuedJob) {
          // The trace the run was started in (a request's), continued by the worker that runs it.
          const trace: Record<string, string> = {};
          injectTraceHeaders(trace);
          await jobs.send({
            queue: TIER_QUEUES[job.tier as Exclude<Tier, 'instant'>],
            id: job.executionId,
            data: {
              orgId: job.orgId,
              executionId: job.executionId,
              timeoutMs: job.timeoutMs,
              ...(Object.keys(trace).length > 0 && { trace }),
            },
            expireInSeconds: expirySeconds(job.timeoutMs),
            retry: queueRetry(job.retry),
          });
        },
      },
    });
    return {
      runner,
      pool,
      queue: jobs,
      async close() {
        await jobs.close();
        await runner.close();
        await pool.close();
      },
    };
  } catch (error) {
    await queue?.close();
    await pool.close();
    throw error;
  }
}

/** Registers this process as a worker of the async tiers and their dead-letter queues. */
export async function workWorkflowQueues({
  engine,
  concurrency,
  logger,
}: {
  engine: WorkflowEngine;
  concurrency: number;
  logger: Logger;
}): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  for (const name of Object.values(TIER_QUEUES)) {
    stops.push(
      await engine.queue.work({
        queue: name,
        concurrency,
        handler: async (job) => {
          const { orgId, executionId, timeoutMs, trace } = job.data as {
            orgId: string;
            executionId: string;
            timeoutMs: number;
            trace?: Record<string, string>;
          };
          const outcome = await withContext(contextFromHeaders(trace ?? {}), () =>
            engine.runner.runAttempt({ orgId, executionId, timeoutMs }),
          );
          logger.debug({ executionId, outcome: outcome.kind }, 'workflow attempt');
          // A throw hands the job back to pg-boss: retried per its policy, or dead-lettered.
          if (outcome.kind === 'retry' || outcome.kind === 'failed') {
            throw new Error(`${outcome.error.kind}: ${outcome.error.message}`);
          }
        },
      }),
    );
    stops.push(
      await engine.queue.work({
        queue: deadLetterQueueOf(name),
        concurrency: 2,
        handler: async (job) => {
          const { orgId, executionId } = job.data as { orgId: string; executionId: string };
          const marked = await engine.runner.giveUp({
            orgId,
            executionId,
            reason: 'retries exhausted: the worker running the last attempt stopped',
          });
          if (marked) logger.warn({ executionId }, 'execution failed after its worker stopped');
        },
      }),
    );
  }
  return async () => {
    for (const stop of stops) await stop();
  };
}
