// The contract between an agent and where its run is kept. An agent (Connector, Workflow, Setup)
// is a sequence of named steps; it asks the journal before each step whether the run already
// finished it (a resumed run skips it and reuses its output), records each tool call as a span,
// and pauses at handbacks. The durable journal (agent_runs in the database, driven by the
// workers) and the in-memory one (tests, one-shot CLI runs) implement the same interface, so an
// agent never knows which it runs on.
import type { RunUsage as Usage } from '../llm/tool-loop.ts';

export type AgentKind = 'connector' | 'workflow' | 'setup';

/** Where a run stands. `waiting` is a handback: it goes on after approve or revise. */
export type RunStatus =
  'queued' | 'running' | 'waiting' | 'completed' | 'failed' | 'budget' | 'cancelled';

/** One tool call of a run, kept as a span: arguments with secrets masked, a short result. */
export interface ToolSpan {
  readonly step: string;
  readonly tool: string;
  readonly arguments: unknown;
  readonly ok: boolean;
  /** One line: what the call did, or why it failed or was refused. */
  readonly summary: string;
  /** `not_allowed`: the tool is outside the step's allow-list and was never called. */
  readonly status: 'ok' | 'error' | 'not_allowed';
  readonly durationMs: number;
  readonly tokensIn?: number;
  readonly tokensOut?: number;
}

/** What the person decided at a handback. */
export type Decision =
  { readonly decision: 'approve' } | { readonly decision: 'revise'; readonly note: string };

/**
 * Thrown by `handback` when the run must wait for a person: the executor stores the run as
 * `waiting` and stops; approve or revise queues it again and it resumes from the next step.
 */
export class RunPaused extends Error {
  readonly stage: string;
  constructor(stage: string) {
    super(`waiting for approval after ${stage}`);
    this.stage = stage;
    this.name = 'RunPaused';
  }
}

/** Thrown by `checkCancelled` when someone cancelled the run; nothing after it is written. */
export class RunCancelled extends Error {
  constructor() {
    super('the run was cancelled');
    this.name = 'RunCancelled';
  }
}

export interface RunJournal {
  readonly runId: string;
  /** The output of a step this run already finished (a resumed run), else undefined. */
  finished(step: string): Promise<unknown>;
  startStep(step: string): Promise<void>;
  /** Marks the step done with its output (JSON) and a one-line summary for people. */
  finishStep(step: string, output: unknown, summary: string): Promise<void>;
  failStep(step: string, error: string): Promise<void>;
  recordToolCall(span: ToolSpan): Promise<void>;
  /** Adds a model turn's tokens and cost to the run. */
  recordUsage(usage: Usage): Promise<void>;
  /** A line of progress for people watching (the CLI, the web app's activity panel). */
  progress(step: string, message: string): void;
  /**
   * A handback after `stage` with a summary. Non-interactive runs resolve `approve` at once; an
   * interactive run resolves with the decision already taken, or throws RunPaused.
   */
  handback(stage: string, summary: string): Promise<Decision>;
  /** Throws RunCancelled when the run was cancelled; agents call it between steps. */
  checkCancelled(): Promise<void>;
}

/**
 * A key that makes a write the agent repeats after a crash return the first result instead of
 * writing twice: the admin tools honour `idempotencyKey`.
 */
export function idempotencyKeyOf({
  runId,
  step,
  index,
}: {
  runId: string;
  step: string;
  index: number;
}): string {
  return `agent:${runId}:${step}:${index}`;
}
