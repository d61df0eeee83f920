// Executes agent runs on the workers: a pg-boss queue `agent-runs` (the workflow engine's queue,
// so one pg-boss serves both), a lease per attempt, and a sweeper for runs whose worker died.
// Decisions:
// - The lease, not the job, says who runs a run. A job only names the run; the handler claims it
//   (queued, or running with a lapsed lease) and renews the lease every third of it. A duplicate
//   or late job finds nothing to claim and ends. pg-boss's job expiry is therefore harmless
//   (a late retry finds a live lease), and a run is never run twice at once.
// - A worker that dies stops renewing; `sweepAgentRuns` (every worker's sweeper) queues the run
//   again once its lease lapsed, and the next attempt resumes from the last finished step.
// - A worker that stops (shutdown) does not wait for its agents: it fences their journals,
//   aborts their signals, puts their runs back to `queued` and sends each a new job, so another
//   worker (or this one after a restart) resumes them at once. An agent that ignores its signal
//   can no longer write anything.
// - Which agent runs a kind is not known here (server/ may not import agents/): app/agent-runner.ts
//   passes `execute`, and the agents' RunPaused and RunCancelled as factories.
// - A run whose agent threw is failed, not retried: an agent's failure (a spec that cannot be
//   read, a spent budget) would fail again. Only the loss of the worker is retried.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.ts';
import * as agentRunsRepo from '../../db/repositories/agent-runs.repo.ts';
import type { ClaimedAgentRun } from '../../db/repositories/agent-runs.repo.ts';
import { listRegisteredOrgs } from '../../db/repositories/orgs.repo.ts';
import type { AgentRunStatus } from '../../domain/agent-run.ts';
import { revokedActorOf } from '../../modules/agent-runs/run-actor.ts';
import type { JobQueue } from '../queue/queue.ts';
import { createDurableJournal, type DurableJournal } from './durable-journal.ts';
import {
  contextFromHeaders,
  injectTraceHeaders,
  inSpan,
  WEFT_ATTRS,
  withContext,
} from '../../telemetry/tracing.ts';

export const AGENT_RUN_QUEUE = 'agent-runs';

/** The lease an attempt holds between renewals (renewed every third of it). */
export const AGENT_RUN_LEASE_MS = 30_000;

/** What services use to queue a run (created, approved, revised, released). */
export interface AgentRunQueue {
  enqueue(job: { orgId: string; runId: string }): Promise<void>;
}

/** Creates the queue (idempotent) and returns the sender. */
export async function openAgentRunQueue(queue: JobQueue): Promise<AgentRunQueue> {
  await queue.ensureQueue({
    name: AGENT_RUN_QUEUE,
    // Retries are for a handler that could not record its outcome; the lease does the rest.
    retry: { limit: 3, delaySeconds: 2, backoff: true, maxDelaySeconds: 30 },
    // An attempt's job may expire while the agent still runs: its retry finds the live lease.
    expireInSeconds: 60 * 60,
  });
  return {
    async enqueue({ orgId, runId }) {
      // The trace the run was started in (a request's), continued by the worker that runs it.
      const trace: Record<string, string> = {};
      injectTraceHeaders(trace);
      await queue.send({
        queue: AGENT_RUN_QUEUE,
        data: { orgId, runId, ...(Object.keys(trace).length > 0 && { trace }) },
      });
    },
  };
}

/** What an agent returned or threw, as the run's final record. */
export type AgentOutcome =
  | { readonly kind: 'report'; readonly report: unknown }
  | { readonly kind: 'error'; readonly error: unknown };

/** What app/agent-runner.ts provides: runs the agent of the run's kind with this journal. */
export interface AgentExecutor {
  execute(args: {
    run: ClaimedAgentRun;
    journal: DurableJournal;
    signal: AbortSignal;
    logger: Logger;
  }): Promise<unknown>;
  /** The agents' RunPaused. */
  readonly paused: (stage: string) => Error;
  /** The agents' RunCancelled. */
  readonly cancelled: () => Error;
}

const REPORT_STATUSES: ReadonlySet<AgentRunStatus> = new Set(['completed', 'failed', 'budget']);

/** The final status of a run whose agent returned: the report's own status, else completed. */
function statusOfReport(report: unknown): AgentRunStatus {
  const status =
    report !== null && typeof report === 'object'
      ? (report as { status?: unknown }).status
      : undefined;
  return typeof status === 'string' && REPORT_STATUSES.has(status as AgentRunStatus)
    ? (status as AgentRunStatus)
    : 'completed';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A spent budget (agents/llm's LlmError kind 'budget') ends the run as `budget`. */
function isBudget(error: unknown): boolean {
  return (
    error !== null && typeof error === 'object' && (error as { kind?: unknown }).kind === 'budget'
  );
}

interface Attempt {
  readonly orgId: string;
  readonly runId: string;
  readonly leaseOwner: string;
  readonly journal: DurableJournal;
  readonly abort: AbortController;
  /** Resolves the handler without waiting for the agent (the worker stops). */
  readonly release: () => void;
}

/**
 * Registers this process as a worker of agent runs. Resolves with a function that stops it:
 * running agents are abandoned as described above, and their runs queued again.
 */
export async function workAgentRuns({
  db,
  queue,
  runs,
  concurrency,
  logger,
  executor,
  leaseMs = AGENT_RUN_LEASE_MS,
}: {
  db: Database;
  queue: JobQueue;
  runs: AgentRunQueue;
  concurrency: number;
  logger: Logger;
  executor: AgentExecutor;
  leaseMs?: number;
}): Promise<() => Promise<void>> {
  const attempts = new Set<Attempt>();
  let stopping = false;

  const settle = (
    attempt: Attempt,
    fields: Omit<Parameters<typeof agentRunsRepo.settle>[1], 'id' | 'leaseOwner'>,
  ) =>
    db.tenant({ orgId: attempt.orgId }, (sql) =>
      agentRunsRepo.settle(sql, { id: attempt.runId, leaseOwner: attempt.leaseOwner, ...fields }),
    );

  const runAttempt = async ({ orgId, runId }: { orgId: string; runId: string }) => {
    if (stopping) throw new Error('the agent-run worker is stopping');
    const leaseOwner = randomUUID();
    const run = await db.tenant({ orgId }, (sql) =>
      agentRunsRepo.claim(sql, { id: runId, leaseOwner, leaseMs }),
    );
    if (!run) return; // waiting, finished, or held by a live lease elsewhere
    const log = logger.child({ agentRunId: runId, kind: run.kind, attempt: run.attempts });
    const abort = new AbortController();
    const journal = createDurableJournal({
      db,
      orgId,
      runId,
      leaseOwner,
      interactive: run.interactive,
      decisions: run.decisions,
      paused: executor.paused,
      cancelled: executor.cancelled,
      onProgress: (step, message) => log.debug({ step }, message),
    });
    let release!: () => void;
    const released = new Promise<'released'>((resolve) => {
      release = () => resolve('released');
    });
    const attempt: Attempt = { orgId, runId, leaseOwner, journal, abort, release };
    attempts.add(attempt);
    const renewal = setInterval(() => {
      db.tenant({ orgId }, (sql) =>
        agentRunsRepo.extendLease(sql, { id: runId, leaseOwner, leaseMs }),
      )
        .then(({ held, cancelRequested }) => {
          if (!held) {
            journal.revoke();
            abort.abort(new Error('the run was taken over by another worker'));
          } else if (cancelRequested) {
            journal.noteCancelRequested();
            abort.abort(executor.cancelled());
          }
        })
        .catch((error: unknown) => log.warn({ err: error }, 'could not renew an agent-run lease'));
    }, leaseMs / 3);
    renewal.unref();
    try {
      const revoked = await revokedActorOf({ db, run });
      if (revoked !== null) {
        await settle(attempt, { status: 'failed', error: revoked });
        log.warn('agent run stopped: its key was revoked');
        return;
      }
      log.info('agent run attempt started');
      const agent = inSpan({
        name: `agent.run ${run.kind}`,
        attributes: {
          [WEFT_ATTRS.agentRunId]: runId,
          [WEFT_ATTRS.agentKind]: run.kind,
          [WEFT_ATTRS.orgId]: orgId,
          [WEFT_ATTRS.attempt]: run.attempts,
        },
        run: () => executor.execute({ run, journal, signal: abort.signal, logger: log }),
      }).then(
        (report): AgentOutcome => ({ kind: 'report', report }),
        (error: unknown): AgentOutcome => ({ kind: 'error', error }),
      );
      const outcome = await Promise.race([agent, released]);
      if (outcome === 'released') return; // the worker stops: the run was put back in the queue
      const state = journal.state();
      if (state.revoked) {
        log.warn('agent run attempt lost its lease; another attempt owns the run');
        return;
      }
      let settled: boolean;
      if (state.paused) {
        settled = await settle(attempt, { status: 'waiting', pending: state.paused });
      } else if (outcome.kind === 'report') {
        settled = await settle(attempt, {
          status: statusOfReport(outcome.report),
          report: outcome.report ?? null,
        });
      } else if (state.cancelled || (state.cancelRequested && abort.signal.aborted)) {
        settled = await settle(attempt, { status: 'cancelled', error: 'the run was cancelled' });
      } else {
        const error = outcome.error;
        settled = await settle(attempt, {
          status: isBudget(error) ? 'budget' : 'failed',
          error: messageOf(error),
        });
        if (!isBudget(error)) log.warn({ err: error }, 'agent run failed');
      }
      if (!settled) log.warn('agent run attempt could not settle: it lost its lease');
      log.info('agent run attempt ended');
    } finally {
      clearInterval(renewal);
      attempts.delete(attempt);
    }
  };

  const stopWorker = await queue.work({
    queue: AGENT_RUN_QUEUE,
    concurrency,
    handler: async (job) => {
      const { orgId, runId, trace } = job.data as {
        orgId: string;
        runId: string;
        trace?: Record<string, string>;
      };
      await withContext(contextFromHeaders(trace ?? {}), () => runAttempt({ orgId, runId }));
    },
  });

  return async () => {
    stopping = true;
    for (const attempt of [...attempts]) {
      attempt.journal.revoke();
      attempt.abort.abort(new Error('the worker is stopping'));
      try {
        const requeued = await settle(attempt, { status: 'queued' });
        if (requeued) await runs.enqueue({ orgId: attempt.orgId, runId: attempt.runId });
      } catch (error) {
        // The lease lapses and the sweeper queues the run again.
        logger.warn({ err: error, agentRunId: attempt.runId }, 'could not hand an agent run back');
      }
      attempt.release();
    }
    await stopWorker();
  };
}

/** A running run whose lease lapsed this long ago has lost its worker. */
const LAPSED_MS = 1_000;
/** A queued run untouched this long has lost its job (the process stopped before sending it). */
const QUEUED_STALE_MS = 60_000;

/**
 * Queues again the runs whose worker died and those whose job was lost. Safe in every worker: a
 * duplicate job finds the run claimed and does nothing.
 */
export async function sweepAgentRuns({
  db,
  runs,
  lapsedMs = LAPSED_MS,
  queuedMs = QUEUED_STALE_MS,
}: {
  db: Database;
  runs: AgentRunQueue;
  lapsedMs?: number;
  queuedMs?: number;
}): Promise<{ requeued: number }> {
  let requeued = 0;
  for (const orgId of await db.owner((sql) => listRegisteredOrgs(sql))) {
    const stale = await db.tenant({ orgId }, (sql) =>
      agentRunsRepo.takeStale(sql, { lapsedMs, queuedMs, limit: 100 }),
    );
    for (const runId of stale) {
      await runs.enqueue({ orgId, runId });
      requeued++;
    }
  }
  return { requeued };
}
