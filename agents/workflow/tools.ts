// How the Workflow Agent (and the Setup Assistant) call the admin MCP tools: through an MCP SDK
// client only, each call checked against the step's allow-list before it is sent, and recorded
// on the run's journal as a span (arguments with secret-looking fields masked, a one-line
// result). Decision: a tool answering isError becomes a ToolFailure carrying the tool's own
// message, so a step can show the person (or the model) exactly what the server said.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RunJournal } from '../runs/journal.ts';

export class ToolFailure extends Error {
  readonly tool: string;
  readonly status: 'error' | 'not_allowed';
  constructor(tool: string, message: string, status: 'error' | 'not_allowed' = 'error') {
    super(`${tool}: ${message}`);
    this.tool = tool;
    this.status = status;
    this.name = 'ToolFailure';
  }
}

export interface ToolCaller {
  /** Calls a tool and answers its structured result; throws ToolFailure on an error result. */
  call<T = Record<string, unknown>>(tool: string, args: Record<string, unknown>): Promise<T>;
}

const SECRET_KEY = /key|token|secret|password|credential|authorization/i;

/** Secret-looking fields masked, at any depth: what a span may keep of a call's arguments. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && typeof v === 'string' ? '****' : maskSecrets(v);
  }
  return out;
}

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content?: { type: string; text?: string }[];
};

function textOf(result: CallResult): string {
  return (result.content ?? [])
    .map((c) => c.text ?? '')
    .join(' ')
    .trim();
}

export function toolCaller({
  client,
  journal,
  step,
  allow,
}: {
  client: Client;
  journal: RunJournal;
  step: string;
  /** The tools this step may call; anything else is refused before it is sent. */
  allow: readonly string[];
}): ToolCaller {
  const allowed = new Set(allow);
  return {
    async call<T>(tool: string, args: Record<string, unknown>): Promise<T> {
      const started = performance.now();
      const arguments_ = maskSecrets(args);
      if (!allowed.has(tool)) {
        await journal.recordToolCall({
          step,
          tool,
          arguments: arguments_,
          ok: false,
          summary: `refused: ${tool} is not allowed in step ${step}`,
          status: 'not_allowed',
          durationMs: 0,
        });
        throw new ToolFailure(tool, `not allowed in step ${step}`, 'not_allowed');
      }
      const result = (await client.callTool({ name: tool, arguments: args })) as CallResult;
      const text = textOf(result);
      await journal.recordToolCall({
        step,
        tool,
        arguments: arguments_,
        ok: result.isError !== true,
        summary: (result.content?.[0]?.text ?? text).slice(0, 300),
        status: result.isError === true ? 'error' : 'ok',
        durationMs: performance.now() - started,
      });
      if (result.isError === true) throw new ToolFailure(tool, text.slice(0, 2000));
      return (result.structuredContent ?? {}) as T;
    },
  };
}
