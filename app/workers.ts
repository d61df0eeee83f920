import type { Logger } from 'pino';
import type { Config } from '../server/config.ts';
import type { Keyring } from '../server/crypto/envelope.ts';
import type { Database } from '../server/db/database.ts';
import * as executionsRepo from '../server/db/repositories/executions.repo.ts';
import type { StaleExecution } from '../server/db/repositories/executions.repo.ts';
import { listRegisteredOrgs } from '../server/db/repositories/orgs.repo.ts';
import { purgeExpiredState } from '../server/modules/state/state.service.ts';
import { startTriggerWorkers } from '../server/runtime/trigger-workers.ts';
import { repeat } from '../server/repeat.ts';
import { DuplicateJobError } from '../server/runtime/queue/queue.ts';
import { createEventRouter } from '../server/runtime/event-router.ts';
import {
  expirySeconds,
  openEngines,
  queueRetry,
  TIER_QUEUES,
  workWorkflowQueues,
  type Engines,
  type WorkflowEngine,
} from '../server/runtime/engines.ts';

export interface Workers {
  close(): Promise<void>;
}

/** How often the sweeper looks for executions to queue again. */
const SWEEP_INTERVAL_MS = 5_000;
/** A queued execution this late (beyond its due time) has lost its job. */
const QUEUED_STALE_MS = 5 * 60_000;
/**
 * A queued execution never attempted this long after it was accepted may have no job: the
 * database went away between storing it and queuing it. Its job is queued under the execution's
 * id, so re-sending one that exists is refused and costs one insert that writes nothing.
 */
const UNSTARTED_MS = 15_000;
/** A running execution whose lease lapsed this long ago has lost its worker. */
const LAPSED_MS = 1_000;
/** Expired workflow state is purged this often. */
const PURGE_INTERVAL_MS = 60_000;

function jobOf({ orgId, execution }: { orgId: string; execution: StaleExecution }) {
  return {
    queue: TIER_QUEUES[execution.tier === 'long' ? 'long' : 'standard'],
    data: { orgId, executionId: execution.id, timeoutMs: execution.timeoutMs },
    expireInSeconds: expirySeconds(execution.timeoutMs),
    retry: queueRetry(execution.retry),
  };
}

/**
 * Queues again the executions whose worker died (their attempt stopped renewing its lease), those
 * accepted but never queued (the process stopped, or the database went away, between writing the
 * execution and queuing its job) and those left `queued` long past their due time. Safe in every
 * worker: a duplicate job finds the execution claimed or finished and does nothing, and a
 * retried attempt counts against the policy.
 */
export async function sweep({
  db,
  engine,
}: {
  db: Database;
  engine: WorkflowEngine;
}): Promise<{ requeued: number }> {
  let requeued = 0;
  for (const orgId of await db.owner((sql) => listRegisteredOrgs(sql))) {
    const unstarted = await db.tenant({ orgId }, (sql) =>
      executionsRepo.listUnstarted(sql, { olderThanMs: UNSTARTED_MS, limit: 100 }),
    );
    for (const execution of unstarted) {
      try {
        // The id the accepting process queued it under: refused if that job exists.
        await engine.queue.send({ ...jobOf({ orgId, execution }), id: execution.id });
        requeued++;
      } catch (error) {
        if (!(error instanceof DuplicateJobError)) throw error;
      }
    }
    const stale = await db.tenant({ orgId }, (sql) =>
      executionsRepo.listStale(sql, { queuedMs: QUEUED_STALE_MS, lapsedMs: LAPSED_MS, limit: 100 }),
    );
    for (const execution of stale) {
      await engine.queue.send(jobOf({ orgId, execution }));
      requeued++;
    }
  }
  return { requeued };
}

/**
 * The background side of the product: workers of the async workflow tiers (and their dead-letter
 * queues) and the sweeper. Uses the given engine (`weft start` shares the API's), or opens its own.
 */
export async function startWorkers({
  config,
  db,
  keyring,
  logger,
  engines: shared,
}: {
  config: Config;
  db: Database;
  keyring: Keyring;
  logger: Logger;
  /** The API's connection runtime and workflow engine, when this process shares them. */
  engines?: Engines;
}): Promise<Workers> {
  const engines = shared ?? (await openEngines({ config, db, keyring, logger }));
  const { runtime, engine } = engines;
  const router = await createEventRouter({
    db,
    runner: () => Promise.resolve(engine.runner),
    logger,
  });
  const triggerWorkers = startTriggerWorkers({ db, runtime, router, logger });
  const stop = await workWorkflowQueues({
    engine,
    concurrency: config.workerConcurrency,
    logger,
  });
  let lastPurge = Date.now();
  const sweeper = repeat({
    intervalMs: SWEEP_INTERVAL_MS,
    task: async () => {
      const { requeued } = await sweep({ db, engine });
      if (requeued > 0) logger.info({ requeued }, 'queued executions again');
      if (Date.now() - lastPurge > PURGE_INTERVAL_MS) {
        lastPurge = Date.now();
        const purged = await purgeExpiredState({ db });
        if (purged > 0) logger.info({ purged }, 'purged expired workflow state');
      }
    },
    onError: (error) => logger.error({ err: error }, 'sweep failed'),
  });
  logger.info(
    { queues: Object.values(TIER_QUEUES), concurrency: config.workerConcurrency },
    'workers started',
  );
  return {
    async close() {
      await sweeper.close();
      await triggerWorkers.close();
      await router.close();
      await stop();
      if (!shared) await engines.close();
      logger.info('workers stopped');
    },
  };
}
