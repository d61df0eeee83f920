// The agent's only way to act: admin MCP tool calls over the client it was given. Every call is
// checked against the step's allow-list (a call outside it is never sent, and is kept as a
// `not_allowed` span), kept as a span with its arguments masked, counted against the run's
// tool-call budget, and every write carries an idempotency key derived from the run, the step and
// the write's index within the step, so a step re-run after a crash repeats no write.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ToolSpec } from '../llm/index.ts';
import { idempotencyKeyOf, type RunJournal, type ToolSpan } from '../runs/journal.ts';

export interface ToolAnswer {
  readonly ok: boolean;
  /** The structured result (the tool's output object), or null on an error. */
  readonly data: Record<string, unknown> | null;
  /** The text of the answer (an error's message). */
  readonly text: string;
}

export class ToolBudgetSpent extends Error {
  constructor(limit: number) {
    super(`tool-call budget spent: ${limit} calls`);
    this.name = 'ToolBudgetSpent';
  }
}

/** Tools whose writes are records of a check, not things to create once: no idempotency key. */
const NO_KEY = new Set(['test_actions']);
const SECRET_KEY = /key|token|secret|password|credential|authorization/i;

function mask(value: unknown, depth = 0): unknown {
  if (depth > 6) return '…';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => mask(v, depth + 1));
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' && value.length > 2000
      ? `${value.slice(0, 200)}…[${value.length} chars]`
      : value;
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) && k !== 'idempotencyKey' && typeof v !== 'object'
        ? '[masked]'
        : k === 'credentials' || k === 'headers'
          ? Object.fromEntries(Object.keys((v ?? {}) as object).map((h) => [h, '[masked]']))
          : mask(v, depth + 1),
    ]),
  );
}

function textOf(result: Record<string, unknown>): string {
  const content: unknown[] = Array.isArray(result['content']) ? result['content'] : [];
  return content
    .map((c) => {
      const part = c as { type?: string; text?: string };
      return part.type === 'text' ? (part.text ?? '') : '';
    })
    .join('\n');
}

export interface Gateway {
  /** Calls a tool for a step; refuses (without calling) anything outside `allow`. */
  call(
    step: string,
    allow: readonly string[],
    name: string,
    args: Record<string, unknown>,
  ): Promise<ToolAnswer>;
  /** Records a call the model made that was refused before it reached the server. */
  refused(step: string, name: string, args: unknown, why: string): Promise<void>;
  /** Tool specs for a model, for these tools (JSON Schemas as the server advertises them). */
  specs(names: readonly string[]): Promise<ToolSpec[]>;
  /** Whether the admin server has a tool of this name. */
  exists(name: string): Promise<boolean>;
  readonly stats: { calls: number; refused: number };
  /** Successful calls, in order: what a model did inside a step, for the step's exit check. */
  readonly log: {
    step: string;
    name: string;
    args: Record<string, unknown>;
    data: Record<string, unknown> | null;
  }[];
}

export function createGateway({
  client,
  journal,
  maxToolCalls = 2000,
}: {
  client: Client;
  journal: RunJournal;
  maxToolCalls?: number;
}): Gateway {
  const writeIndex = new Map<string, number>();
  const stats = { calls: 0, refused: 0 };
  const log: Gateway['log'] = [];
  let listed: Promise<Map<string, { write: boolean; spec: ToolSpec }>> | undefined;
  const catalog = () => {
    listed ??= client.listTools().then(
      (r) =>
        new Map(
          r.tools.map((t) => [
            t.name,
            {
              write: t.annotations?.readOnlyHint !== true,
              spec: {
                name: t.name,
                description: t.description ?? t.title ?? t.name,
                input: t.inputSchema,
              },
            },
          ]),
        ),
    );
    return listed;
  };
  const record = (span: ToolSpan) => journal.recordToolCall(span);

  return {
    stats,
    log,
    async refused(step, name, args, why) {
      stats.refused += 1;
      await record({
        step,
        tool: name,
        arguments: mask(args),
        ok: false,
        summary: why,
        status: 'not_allowed',
        durationMs: 0,
      });
    },
    async call(step, allow, name, args) {
      if (!allow.includes(name)) {
        const why = `refused: ${name} is not allowed in the ${step} step`;
        await this.refused(step, name, args, why);
        return { ok: false, data: null, text: why };
      }
      if (stats.calls >= maxToolCalls) throw new ToolBudgetSpent(maxToolCalls);
      stats.calls += 1;
      const tool = (await catalog()).get(name);
      const sent: Record<string, unknown> = { ...args };
      if (tool?.write === true && !NO_KEY.has(name) && sent['dryRun'] !== true) {
        const index = writeIndex.get(step) ?? 0;
        writeIndex.set(step, index + 1);
        sent['idempotencyKey'] ??= idempotencyKeyOf({ runId: journal.runId, step, index });
      }
      const started = performance.now();
      let answer: ToolAnswer;
      try {
        const result = await client.callTool({ name, arguments: sent });
        const text = textOf(result);
        const data = (result.structuredContent ?? null) as Record<string, unknown> | null;
        answer = { ok: result.isError !== true, data: result.isError === true ? null : data, text };
      } catch (error) {
        answer = { ok: false, data: null, text: (error as Error).message };
      }
      if (answer.ok) log.push({ step, name, args, data: answer.data });
      await record({
        step,
        tool: name,
        arguments: mask(sent),
        ok: answer.ok,
        summary: (answer.text.split('\n')[0] ?? '').slice(0, 300),
        status: answer.ok ? 'ok' : 'error',
        durationMs: Math.round(performance.now() - started),
      });
      return answer;
    },
    async specs(names) {
      const all = await catalog();
      return names.flatMap((n) => {
        const t = all.get(n);
        return t === undefined ? [] : [t.spec];
      });
    },
    async exists(name) {
      return (await catalog()).has(name);
    },
  };
}
