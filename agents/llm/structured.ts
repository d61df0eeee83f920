// Structured output checked by zod: the model is made to answer by calling one tool whose input
// is the schema (forced tool choice works the same on OpenAI, Anthropic, LangChain and local
// OpenAI-compatible servers, where JSON modes differ). An answer that fails the schema is sent
// back with zod's issues for a bounded number of corrections; a model that answers in plain text
// instead (common with small local models) has that text parsed as JSON as a last resort.
import { z } from 'zod';
import { createBudget, type Budget } from './budget.ts';
import { LlmError, type LlmErrorKind } from './errors.ts';
import { parseToolArguments } from './schema.ts';
import type { ChatMessage, ChatTurn, ModelProvider } from './types.ts';
import type { RunUsage } from './tool-loop.ts';

export type StructuredResult<T> =
  | {
      readonly status: 'done';
      readonly value: T;
      readonly attempts: number;
      readonly usage: RunUsage;
    }
  | {
      readonly status: LlmErrorKind;
      readonly error: LlmError;
      readonly attempts: number;
      readonly usage: RunUsage;
    };

export async function generateObject<T>({
  provider,
  system,
  messages,
  schema,
  name = 'respond',
  description = 'Give your answer by calling this tool with it as the input.',
  maxAttempts = 3,
  budget = createBudget({ maxSteps: maxAttempts }),
  signal,
  maxTokens,
}: {
  provider: ModelProvider;
  system?: string;
  messages: readonly ChatMessage[];
  schema: z.ZodType<T>;
  name?: string;
  description?: string;
  /** Answers asked for in all, corrections included (default 3). */
  maxAttempts?: number;
  budget?: Budget;
  signal?: AbortSignal;
  maxTokens?: number;
}): Promise<StructuredResult<T>> {
  // Tool input must be an object: any other schema is wrapped as { value }.
  const wrapped = schema instanceof z.ZodObject;
  const toolSchema: z.ZodType = wrapped ? schema : z.object({ value: schema });
  const unwrap = (input: unknown): unknown =>
    wrapped ? input : (input as { value?: unknown } | undefined)?.value;
  const transcript: ChatMessage[] = [...messages];
  let usage: RunUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  let lastProblem = '';

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let turn: ChatTurn;
    try {
      budget.beginStep();
      turn = await provider.chat({
        ...(system === undefined ? {} : { system }),
        messages: [...transcript],
        tools: [{ name, description, input: toolSchema }],
        toolChoice: { name },
        ...(signal === undefined ? {} : { signal }),
        ...(maxTokens === undefined ? {} : { maxTokens }),
      });
    } catch (error) {
      if (error instanceof LlmError) return { status: error.kind, error, attempts: attempt, usage };
      throw error;
    }
    budget.charge({ ...turn.usage, costUsd: turn.costUsd });
    usage = {
      inputTokens: usage.inputTokens + turn.usage.inputTokens,
      outputTokens: usage.outputTokens + turn.usage.outputTokens,
      costUsd: usage.costUsd + turn.costUsd,
    };
    if (turn.stopReason === 'refusal') {
      const error = new LlmError({
        kind: 'refusal',
        message: `the model refused: ${turn.refusal ?? 'no reason given'}`,
      });
      return { status: 'refusal', error, attempts: attempt, usage };
    }
    const call = turn.toolCalls.find((c) => c.name === name);
    transcript.push({
      role: 'assistant',
      content: turn.text,
      ...(turn.toolCalls.length > 0 ? { toolCalls: turn.toolCalls } : {}),
    });
    let candidate: unknown;
    if (call !== undefined && call.malformed !== undefined) lastProblem = call.malformed;
    else if (call !== undefined) candidate = call.input;
    else {
      const parsed = parseToolArguments(stripFences(turn.text));
      if (parsed.malformed === undefined) candidate = parsed.input;
      else lastProblem = `no call to ${name} and the text is not a JSON object`;
    }
    if (candidate !== undefined) {
      const checked = toolSchema.safeParse(candidate);
      if (checked.success) {
        return { status: 'done', value: unwrap(checked.data) as T, attempts: attempt, usage };
      }
      lastProblem = z.prettifyError(checked.error);
    }
    const feedback = `Your answer was not accepted: ${lastProblem}\nCall ${name} again with a corrected answer.`;
    // Every tool call of the turn gets a result, as the providers require.
    for (const c of turn.toolCalls) {
      transcript.push({
        role: 'tool',
        toolCallId: c.id,
        name: c.name,
        content: c === call ? feedback : 'Not run.',
        isError: true,
      });
    }
    if (call === undefined) transcript.push({ role: 'user', content: feedback });
  }
  const error = new LlmError({
    kind: 'invalid_output',
    message: `no valid answer after ${maxAttempts} attempts; the last problem: ${lastProblem}`,
  });
  return { status: 'invalid_output', error, attempts: maxAttempts, usage };
}

function stripFences(text: string): string {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  return (fenced?.[1] ?? text).trim();
}
