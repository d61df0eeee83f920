// The tool-using loop every agent step shares: send a turn, run the tool calls the step allows,
// feed the results back, stop when the model answers without calling a tool. A call to a tool
// outside the allow-list is never run: the model is told it was refused and the call is recorded,
// which is the defence against instructions injected through fetched docs or tool output. Broken
// tool calls (bad JSON, a tool that does not exist, input that fails the tool's schema) are
// reported back to the model so it can correct itself, up to a bound; the loop returns a typed
// status instead of throwing for every expected stop (budget, refusal, rate limit, timeout...).
import { z } from 'zod';
import { createBudget, type Budget } from './budget.ts';
import { LlmError, type LlmErrorKind } from './errors.ts';
import { isZodSchema } from './schema.ts';
import type { ChatMessage, ChatTurn, ModelProvider, ToolChoice, ToolSpec } from './types.ts';

export type ToolCallStatus =
  'ok' | 'error' | 'not_allowed' | 'unknown_tool' | 'malformed' | 'invalid_input';

/** One tool call the model made, whatever became of it. */
export interface ToolCallRecord {
  /** The model turn (1-based) that made the call. */
  readonly step: number;
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
  readonly rawInput: string;
  readonly status: ToolCallStatus;
  /** What the model was sent back. */
  readonly result: string;
}

export interface ToolResult {
  /** Sent to the model as text (a string as is, anything else as JSON). */
  readonly content: unknown;
  readonly isError?: boolean;
}

export interface RunUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface ToolLoopResult {
  /** 'done' when the model gave a final answer; else why the loop stopped. */
  readonly status: 'done' | LlmErrorKind;
  /** The final answer (the last text the model wrote, when stopped early). */
  readonly text: string;
  /** The conversation as it now stands, the given messages included. */
  readonly messages: readonly ChatMessage[];
  readonly calls: readonly ToolCallRecord[];
  readonly steps: number;
  /** This loop's usage (the budget holds the run's). */
  readonly usage: RunUsage;
  readonly error?: LlmError;
}

export interface ToolLoopOptions {
  readonly provider: ModelProvider;
  readonly system?: string;
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  /** Tools that may run (default: every offered tool). Anything else is refused, not run. */
  readonly allow?: readonly string[];
  readonly onToolCall: (call: {
    id: string;
    name: string;
    input: unknown;
    signal: AbortSignal | undefined;
  }) => Promise<ToolResult>;
  /** The run's meter (default: 20 steps, no token limit). */
  readonly budget?: Budget;
  readonly signal?: AbortSignal;
  /** Broken or refused calls tolerated before the loop stops (default 4). */
  readonly maxBadCalls?: number;
  /** Longest tool result sent to the model, in characters (default 20 000). */
  readonly maxResultChars?: number;
  readonly toolChoice?: ToolChoice;
  readonly maxTokens?: number;
  readonly temperature?: number;
  /** Streams text deltas of every turn. */
  readonly onText?: (delta: string) => void;
  /** Called after each model turn (progress, persistence of the run's steps). */
  readonly onTurn?: (turn: ChatTurn, step: number) => void;
}

const BAD_STATUS_KIND: Record<
  Exclude<ToolCallStatus, 'ok' | 'error'>,
  Extract<LlmErrorKind, 'malformed_tool_call' | 'unknown_tool' | 'tool_not_allowed'>
> = {
  malformed: 'malformed_tool_call',
  invalid_input: 'malformed_tool_call',
  unknown_tool: 'unknown_tool',
  not_allowed: 'tool_not_allowed',
};

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

export async function runToolLoop(options: ToolLoopOptions): Promise<ToolLoopResult> {
  const budget = options.budget ?? createBudget({ maxSteps: 20 });
  const maxBad = options.maxBadCalls ?? 4;
  const maxChars = options.maxResultChars ?? 20_000;
  const offered = new Map(options.tools.map((tool) => [tool.name, tool]));
  const allowed = new Set(options.allow ?? offered.keys());
  const messages: ChatMessage[] = [...options.messages];
  const calls: ToolCallRecord[] = [];
  let usage: RunUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  let steps = 0;
  let bad = 0;
  let text = '';

  const stop = (error: LlmError): ToolLoopResult => ({
    status: error.kind,
    text,
    messages,
    calls,
    steps,
    usage,
    error,
  });

  for (;;) {
    if (options.signal?.aborted === true) {
      return stop(new LlmError({ kind: 'aborted', message: 'the run was cancelled' }));
    }
    let turn: ChatTurn;
    try {
      budget.beginStep();
      steps += 1;
      turn = await options.provider.chat({
        ...(options.system === undefined ? {} : { system: options.system }),
        // A copy: the transcript grows after the call, and a provider may keep the request.
        messages: [...messages],
        tools: options.tools,
        ...(options.toolChoice === undefined ? {} : { toolChoice: options.toolChoice }),
        ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onText === undefined ? {} : { onText: options.onText }),
      });
    } catch (error) {
      if (error instanceof LlmError) return stop(error);
      throw error;
    }
    budget.charge({ ...turn.usage, costUsd: turn.costUsd });
    usage = {
      inputTokens: usage.inputTokens + turn.usage.inputTokens,
      outputTokens: usage.outputTokens + turn.usage.outputTokens,
      costUsd: usage.costUsd + turn.costUsd,
    };
    options.onTurn?.(turn, steps);
    if (turn.text !== '') text = turn.text;
    messages.push({
      role: 'assistant',
      content: turn.text,
      ...(turn.toolCalls.length > 0 ? { toolCalls: turn.toolCalls } : {}),
    });
    if (turn.stopReason === 'refusal') {
      return stop(
        new LlmError({
          kind: 'refusal',
          message: `the model refused: ${turn.refusal ?? 'no reason given'}`,
        }),
      );
    }
    if (turn.toolCalls.length === 0) {
      return { status: 'done', text: turn.text, messages, calls, steps, usage };
    }

    const badKinds: LlmErrorKind[] = [];
    for (const call of turn.toolCalls) {
      const record = (status: ToolCallStatus, result: string): void => {
        calls.push({
          step: steps,
          id: call.id,
          name: call.name,
          input: call.input,
          rawInput: call.rawInput,
          status,
          result,
        });
        messages.push({
          role: 'tool',
          toolCallId: call.id,
          name: call.name,
          content: result,
          ...(status === 'ok' ? {} : { isError: true }),
        });
        if (status !== 'ok' && status !== 'error') {
          bad += 1;
          badKinds.push(BAD_STATUS_KIND[status]);
        }
      };
      const tool = offered.get(call.name);
      if (tool === undefined) {
        record(
          'unknown_tool',
          `Error: there is no tool named ${JSON.stringify(call.name)}. Use one of: ${[...allowed].join(', ')}.`,
        );
        continue;
      }
      if (!allowed.has(call.name)) {
        record(
          'not_allowed',
          `Refused: the tool ${call.name} is not allowed in this step and was not run. Use one of: ${[...allowed].join(', ')}.`,
        );
        continue;
      }
      if (call.malformed !== undefined) {
        record(
          'malformed',
          `Error: the call to ${call.name} was not run: ${call.malformed}. Call it again with a JSON object that matches its input schema.`,
        );
        continue;
      }
      let input = call.input;
      if (isZodSchema(tool.input)) {
        const parsed = tool.input.safeParse(call.input);
        if (!parsed.success) {
          record(
            'invalid_input',
            `Error: the call to ${call.name} was not run: its input does not match the schema:\n${z.prettifyError(parsed.error)}`,
          );
          continue;
        }
        input = parsed.data;
      }
      if (isAborted(options.signal)) break;
      const result = await options.onToolCall({
        id: call.id,
        name: call.name,
        input,
        signal: options.signal,
      });
      const content =
        typeof result.content === 'string' ? result.content : JSON.stringify(result.content);
      record(
        result.isError === true ? 'error' : 'ok',
        content.length > maxChars
          ? `${content.slice(0, maxChars)}\n[truncated: ${content.length - maxChars} more characters]`
          : content,
      );
    }
    const lastBad = badKinds.at(-1);
    if (lastBad !== undefined && bad > maxBad) {
      return stop(
        new LlmError({
          kind: lastBad,
          message: `stopped after ${bad} tool calls that could not be run (the last: ${lastBad.replaceAll('_', ' ')}); see the recorded calls`,
        }),
      );
    }
  }
}
