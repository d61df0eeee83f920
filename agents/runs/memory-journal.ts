// The run journal kept in memory: for tests and one-shot CLI runs, where the run lives and dies
// with the process. It implements the same contract as the durable journal (journal.ts), so an
// agent runs unchanged on either; `decisions` stands in for the person at a handback (an
// interactive run with no decision queued pauses, as a stored run would).
import type { RunUsage as Usage } from '../llm/tool-loop.ts';
import {
  RunCancelled,
  RunPaused,
  type Decision,
  type RunJournal,
  type RunStatus,
  type ToolSpan,
} from './journal.ts';

export interface MemoryStep {
  readonly step: string;
  status: 'running' | 'completed' | 'failed';
  output?: unknown;
  summary?: string;
  error?: string;
  readonly startedAt: number;
  finishedAt?: number;
}

export interface MemoryJournal extends RunJournal {
  readonly status: RunStatus;
  readonly steps: readonly MemoryStep[];
  readonly spans: readonly ToolSpan[];
  readonly usage: { inputTokens: number; outputTokens: number; costUsd: number };
  readonly handbacks: readonly { stage: string; summary: string; decision: Decision | null }[];
  /** Cancels the run: the next `checkCancelled` throws. */
  cancel(): void;
  setStatus(status: RunStatus): void;
}

export function createMemoryJournal({
  runId = `run_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
  interactive = false,
  decisions = [],
  onProgress,
  decide,
  finishedSteps = {},
}: {
  runId?: string;
  interactive?: boolean;
  /** Decisions taken at the handbacks of an interactive run, in order. */
  decisions?: Decision[];
  onProgress?: (step: string, message: string) => void;
  /** Asks a person at each handback of an interactive run (the CLI's prompt), after `decisions`. */
  decide?: (stage: string, summary: string) => Promise<Decision>;
  /** Outputs of steps a previous attempt finished (a resumed run). */
  finishedSteps?: Record<string, unknown>;
} = {}): MemoryJournal {
  const steps: MemoryStep[] = [];
  const spans: ToolSpan[] = [];
  const handbacks: { stage: string; summary: string; decision: Decision | null }[] = [];
  const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const queue = [...decisions];
  let status: RunStatus = 'running';
  let cancelled = false;
  const current = (step: string) => steps.findLast((s) => s.step === step);

  return {
    runId,
    get status() {
      return status;
    },
    steps,
    spans,
    usage,
    handbacks,
    cancel() {
      cancelled = true;
    },
    setStatus(next) {
      status = next;
    },
    finished(step) {
      const done = current(step);
      if (done?.status === 'completed') return Promise.resolve(done.output);
      return Promise.resolve(finishedSteps[step]);
    },
    startStep(step) {
      steps.push({ step, status: 'running', startedAt: Date.now() });
      return Promise.resolve();
    },
    finishStep(step, output, summary) {
      const entry = current(step);
      if (entry !== undefined) {
        Object.assign(entry, { status: 'completed', output, summary, finishedAt: Date.now() });
      }
      return Promise.resolve();
    },
    failStep(step, error) {
      const entry = current(step);
      if (entry !== undefined)
        Object.assign(entry, { status: 'failed', error, finishedAt: Date.now() });
      return Promise.resolve();
    },
    recordToolCall(span) {
      spans.push(span);
      return Promise.resolve();
    },
    recordUsage(turn: Usage) {
      usage.inputTokens += turn.inputTokens;
      usage.outputTokens += turn.outputTokens;
      usage.costUsd += turn.costUsd;
      return Promise.resolve();
    },
    progress(step, message) {
      onProgress?.(step, message);
    },
    async handback(stage, summary) {
      if (!interactive) {
        handbacks.push({ stage, summary, decision: { decision: 'approve' } });
        return { decision: 'approve' };
      }
      const decision = queue.shift() ?? (await decide?.(stage, summary));
      handbacks.push({ stage, summary, decision: decision ?? null });
      if (decision === undefined) {
        status = 'waiting';
        throw new RunPaused(stage);
      }
      return decision;
    },
    checkCancelled() {
      if (cancelled) {
        status = 'cancelled';
        return Promise.reject(new RunCancelled());
      }
      return Promise.resolve();
    },
  };
}
