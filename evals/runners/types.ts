// The seam between the eval suite and the system under test. A CaseRunner builds a connector
// from a source the way a user would (a spec file's text, or a docs URL and credentials) through
// an MCP client connected to the admin server for a fresh org, and says which action each saved
// mapping was suggested from. Everything scored is then read back through the admin tools
// (evals/read-back.ts), so the scorers see what a user gets, whichever runner built it. Nothing
// from the gold label ever reaches a runner: it is given the source and nothing else.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Provider } from '../../agents/llm/index.ts';

export type BuildSource =
  | { readonly kind: 'spec'; readonly fileName: string; readonly text: string }
  | {
      readonly kind: 'docs';
      readonly url: string;
      readonly credentials: Readonly<Record<string, string>>;
    };

export interface BuildUsage {
  /** MCP tool calls the runner made (counted on the client). */
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface BuildOutcome {
  /** The connector slug built, or null when nothing was built. */
  readonly connector: string | null;
  /** Entity → the action its saved mapping was suggested from. */
  readonly mappingActions: Readonly<Record<string, string>>;
  /** The runner's own verdict (the agent's report status; `completed` for the interim runner). */
  readonly status: string;
  readonly message: string;
  /** Fixes the runner reports (the agent's fixer), with their outcome. */
  readonly fixes: readonly { action: string | null; errorClass: string; outcome: string }[];
  /** Tokens and cost spent by the model (0 offline); tool calls are counted by the suite. */
  readonly usage: Omit<BuildUsage, 'toolCalls'>;
}

export interface CaseRunner {
  readonly name: 'agent' | 'interim';
  build(args: {
    readonly client: Client;
    readonly source: BuildSource;
    readonly provider: Provider;
    readonly signal: AbortSignal;
  }): Promise<BuildOutcome>;
}

const TOOL_TIMEOUT_MS = 600_000;

/** One tool call's structured answer; a tool error becomes a thrown Error with its text. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  // Big connectors (hundreds of actions to test) take longer than the SDK's 60 s default.
  const result = (await client.callTool({ name, arguments: args }, undefined, {
    timeout: TOOL_TIMEOUT_MS,
  })) as {
    isError?: boolean;
    structuredContent?: Record<string, unknown>;
    content?: { type: string; text?: string }[];
  };
  const text = (result.content ?? []).map((c) => c.text ?? '').join('\n');
  if (result.isError === true) throw new Error(`${name}: ${text.slice(0, 500)}`);
  if (result.structuredContent !== undefined) return result.structuredContent;
  return JSON.parse(text) as Record<string, unknown>;
}
