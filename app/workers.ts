import type { Database } from '../server/db/database.ts';
import * as executionsRepo from '../server/db/repositories/executions.repo.ts';
import type { StaleExecution } from '../server/db/repositories/executions.repo.ts';
import { listRegisteredOrgs } from '../server/db/repositories/orgs.repo.ts';
import type { Services } from './services.ts';
import { createAgentExecutor } from './agent-runner.ts';
import {
  AGENT_RUN_QUEUE,
  sweepAgentRuns,
  workAgentRuns,
} from '../server/runtime/agent-runs/executor.ts';
import { purgeExpiredState } from '../server/modules/state/state.service.ts';
import { purgeExpiredAudit } from '../server/modules/audit/audit.service.ts';
import { purgeExpiredOAuthTokens } from '../server/modules/mcp-oauth/mcp-oauth.service.ts';
import { createGuardedDispatcher, guardSettings } from '../server/net/ssrf.ts';
import { ALERT_INTERVAL_MS, evaluateAlerts } from '../server/runtime/alert-evaluator.ts';
import { startTriggerWorkers } from '../server/runtime/trigger-workers.ts';
import { repeat } from '../server/repeat.ts';
import { DuplicateJobError } from '../server/runtime/queue/queue.ts';
import {
  expirySeconds,
  queueRetry,
  TIER_QUEUES,
  workWorkflowQueues,
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
/** Audit entries past their org's retention are deleted this often. */
const AUDIT_PURGE_INTERVAL_MS = 3_600_000;

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
 * queues), the agent-run workers, the trigger loops (schedulers, app-event polls, pending
 * events) and the sweeper, on the process's services (`weft start` shares them with the API). A
 * new background loop is started here, once, for every process that runs workers.
 */
export async function startWorkers(services: Services): Promise<Workers> {
  const { config, db, keyring, logger, runtime } = services;
  const engine = await services.engine();
  const router = await services.events();
  const triggerWorkers = startTriggerWorkers({ db, runtime, router, logger });
  const stop = await workWorkflowQueues({
    engine,
    concurrency: config.workerConcurrency,
    logger,
  });
  const agentRuns = await services.agentRuns();
  const stopAgentRuns = await workAgentRuns({
    db,
    queue: engine.queue,
    runs: agentRuns,
    concurrency: config.workerConcurrency,
    logger,
    executor: createAgentExecutor(services),
  });
  let lastPurge = Date.now();
  let lastAuditPurge = 0;
  const sweeper = repeat({
    intervalMs: SWEEP_INTERVAL_MS,
    task: async () => {
      const { requeued } = await sweep({ db, engine });
      if (requeued > 0) logger.info({ requeued }, 'queued executions again');
      const agents = await sweepAgentRuns({ db, runs: agentRuns });
      if (agents.requeued > 0)
        logger.info({ requeued: agents.requeued }, 'queued agent runs again');
      if (Date.now() - lastPurge > PURGE_INTERVAL_MS) {
        lastPurge = Date.now();
        const purged = await purgeExpiredState({ db });
        if (purged > 0) logger.info({ purged }, 'purged expired workflow state');
        const tokens = await purgeExpiredOAuthTokens({ db });
        if (tokens > 0) logger.info({ purged: tokens }, 'deleted expired MCP OAuth tokens');
      }
      if (Date.now() - lastAuditPurge > AUDIT_PURGE_INTERVAL_MS) {
        lastAuditPurge = Date.now();
        const purged = await purgeExpiredAudit({ db });
        if (purged > 0) logger.info({ purged }, 'deleted audit entries past their retention');
      }
    },
    onError: (error) => logger.error({ err: error }, 'sweep failed'),
  });
  // Alert webhooks are user-given URLs: they go out through the SSRF guard.
  const alertDispatcher = createGuardedDispatcher(guardSettings(config));
  const alerts = repeat({
    intervalMs: ALERT_INTERVAL_MS,
    task: async () => {
      await evaluateAlerts({ db, keyring, logger, dispatcher: alertDispatcher });
    },
    onError: (error) => logger.error({ err: error }, 'alert evaluation failed'),
  });
  logger.info(
    {
      queues: [...Object.values(TIER_QUEUES), AGENT_RUN_QUEUE],
      concurrency: config.workerConcurrency,
    },
    'workers started',
  );
  return {
    async close() {
      await sweeper.close();
      await alerts.close();
      await alertDispatcher.close();
      await triggerWorkers.close();
      await stopAgentRuns();
      await stop();
      logger.info('workers stopped');
    },
  };
}
