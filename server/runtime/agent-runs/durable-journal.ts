// The durable run journal: agents/runs/journal.ts's RunJournal over agent_runs and its steps and
// spans, for one attempt of a run held under a lease. Decisions:
// - Every write is fenced on the lease (holdsLease in the same transaction): an attempt that
//   lost its run (its worker paused past the lease, or was stopped) cannot write a step, a span
//   or usage after another worker took over. `revoke()` fences it in memory too, at once.
// - server/ may not import agents/, so this file does not name RunJournal, RunPaused or
//   RunCancelled: it has the same shape (app/agent-runner.ts hands it to the agent as a
//   RunJournal, and the compiler checks the fit there) and is given the two error factories.
//   The executor learns why an agent stopped from the journal's own state, not from what the
//   agent threw, so an agent that wraps the error still pauses or cancels the run.
// - Handbacks replay: the n-th handback at a stage in an attempt gets the n-th decision taken
//   at that stage (a resumed run goes through its earlier handbacks again, in order); with no
//   such decision an interactive run stores the pending stage and summary and pauses.
import type { Database, Sql } from '../../db/database.ts';
import * as agentRunsRepo from '../../db/repositories/agent-runs.repo.ts';
import type { DecisionRecord } from '../../domain/agent-run.ts';
import { maskSecrets } from '../../modules/agent-runs/mask.ts';

/** The journal refused a write: this attempt no longer holds the run. */
export class RunLeaseLost extends Error {
  constructor(runId: string) {
    super(`this attempt no longer holds agent run ${runId} (it was taken over or stopped)`);
    this.name = 'RunLeaseLost';
  }
}

export interface JournalSpan {
  readonly step: string;
  readonly tool: string;
  readonly arguments: unknown;
  readonly ok: boolean;
  readonly summary: string;
  readonly status: 'ok' | 'error' | 'not_allowed';
  readonly durationMs: number;
  readonly tokensIn?: number;
  readonly tokensOut?: number;
}

export interface JournalUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly costUsd?: number;
}

export type JournalDecision =
  { readonly decision: 'approve' } | { readonly decision: 'revise'; readonly note: string };

/** Why the attempt's agent stopped, as far as the journal knows. */
export interface JournalState {
  readonly paused: { stage: string; summary: string } | null;
  /** checkCancelled threw: the agent stopped because the run was cancelled. */
  readonly cancelled: boolean;
  /** Someone asked to cancel (the agent may not have looked yet). */
  readonly cancelRequested: boolean;
  readonly revoked: boolean;
}

export interface DurableJournal {
  readonly runId: string;
  finished(step: string): Promise<unknown>;
  startStep(step: string): Promise<void>;
  finishStep(step: string, output: unknown, summary: string): Promise<void>;
  failStep(step: string, error: string): Promise<void>;
  recordToolCall(span: JournalSpan): Promise<void>;
  recordUsage(usage: JournalUsage): Promise<void>;
  progress(step: string, message: string): void;
  handback(stage: string, summary: string): Promise<JournalDecision>;
  checkCancelled(): Promise<void>;
  /** What the executor reads once the agent returned or threw. */
  state(): JournalState;
  /** Marks the run as cancelled from outside (the lease renewal saw the request). */
  noteCancelRequested(): void;
  /** Fences every later write of this attempt (its worker stops or lost the lease). */
  revoke(): void;
}

export function createDurableJournal({
  db,
  orgId,
  runId,
  leaseOwner,
  interactive,
  decisions,
  paused,
  cancelled,
  onProgress,
}: {
  db: Database;
  orgId: string;
  runId: string;
  leaseOwner: string;
  interactive: boolean;
  /** The decisions taken so far, in order (from the claimed run). */
  decisions: readonly DecisionRecord[];
  /** The agents' RunPaused (thrown by handback). */
  paused: (stage: string) => Error;
  /** The agents' RunCancelled (thrown by checkCancelled). */
  cancelled: () => Error;
  onProgress?: (step: string, message: string) => void;
}): DurableJournal {
  let revoked = false;
  let cancelRequested = false;
  let cancelledSeen = false;
  let pausedAt: { stage: string; summary: string } | null = null;
  const handbacksAt = new Map<string, number>();

  /** Runs `write` in a transaction that first checks (and locks) this attempt's lease. */
  const fenced = async (write: (sql: Sql) => Promise<void>) => {
    if (revoked) throw new RunLeaseLost(runId);
    await db.tenant({ orgId }, async (sql) => {
      if (!(await agentRunsRepo.holdsLease(sql, { id: runId, leaseOwner }))) {
        revoked = true;
        throw new RunLeaseLost(runId);
      }
      await write(sql);
    });
  };

  return {
    runId,

    async finished(step) {
      if (revoked) throw new RunLeaseLost(runId);
      const found = await db.tenant({ orgId }, (sql) =>
        agentRunsRepo.findStep(sql, { runId, name: step }),
      );
      return found?.status === 'finished' ? found.output : undefined;
    },

    startStep: (step) =>
      fenced((sql) => agentRunsRepo.startStep(sql, { orgId, runId, name: step })),

    finishStep: (step, output, summary) =>
      fenced((sql) =>
        agentRunsRepo.endStep(sql, {
          orgId,
          runId,
          name: step,
          status: 'finished',
          // A step that produced nothing is still finished: stored as null, read back as null.
          output: output ?? null,
          summary,
        }),
      ),

    failStep: (step, error) =>
      fenced((sql) =>
        agentRunsRepo.endStep(sql, { orgId, runId, name: step, status: 'failed', error }),
      ),

    recordToolCall: (span) =>
      fenced((sql) =>
        agentRunsRepo.insertSpan(sql, {
          orgId,
          runId,
          span: {
            step: span.step,
            tool: span.tool,
            arguments: maskSecrets(span.arguments),
            ok: span.ok,
            status: span.status,
            summary: span.summary,
            durationMs: span.durationMs,
            tokensIn: span.tokensIn ?? null,
            tokensOut: span.tokensOut ?? null,
          },
        }),
      ),

    recordUsage: (usage) =>
      fenced((sql) =>
        agentRunsRepo.addUsage(sql, {
          id: runId,
          tokensIn: usage.inputTokens ?? 0,
          tokensOut: usage.outputTokens ?? 0,
          costUsd: usage.costUsd ?? 0,
        }),
      ),

    progress(step, message) {
      onProgress?.(step, message);
    },

    async handback(stage, summary) {
      if (!interactive) return { decision: 'approve' };
      const index = handbacksAt.get(stage) ?? 0;
      handbacksAt.set(stage, index + 1);
      const taken = decisions.filter((d) => d.stage === stage)[index];
      if (taken) {
        return taken.decision === 'revise'
          ? { decision: 'revise', note: taken.note ?? '' }
          : { decision: 'approve' };
      }
      await fenced((sql) => agentRunsRepo.setPending(sql, { id: runId, stage, summary }));
      pausedAt = { stage, summary };
      throw paused(stage);
    },

    async checkCancelled() {
      if (revoked) throw new RunLeaseLost(runId);
      if (!cancelRequested) {
        cancelRequested = await db.tenant({ orgId }, (sql) =>
          agentRunsRepo.cancelRequested(sql, { id: runId }),
        );
      }
      if (cancelRequested) {
        cancelledSeen = true;
        throw cancelled();
      }
    },

    state: () => ({ paused: pausedAt, cancelled: cancelledSeen, cancelRequested, revoked }),

    noteCancelRequested() {
      cancelRequested = true;
    },

    revoke() {
      revoked = true;
    },
  };
}
