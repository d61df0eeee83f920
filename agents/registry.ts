// Which function runs an agent run of each kind. The executor (app/agent-runner.ts) looks the
// kind up here, so the run machinery never names an agent: each agent is loaded on first use
// (the modules are large and most processes never run one). Tests register a stub kind.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Budget, Provider } from './llm/index.ts';
import type { RunJournal } from './runs/journal.ts';

export interface AgentRunArgs {
  readonly client: Client;
  readonly provider: Provider;
  readonly journal: RunJournal;
  readonly input: unknown;
  readonly budget?: Budget;
  readonly signal?: AbortSignal;
}

/** Runs an agent to its report (or throws RunPaused / RunCancelled through the journal). */
export type AgentRunFunction = (args: AgentRunArgs) => Promise<unknown>;

type Loader = () => Promise<AgentRunFunction>;

const loaders = new Map<string, Loader>([
  [
    'connector',
    async () => (await import('./connector/index.ts')).runConnectorAgent as AgentRunFunction,
  ],
  ['workflow', async () => (await import('./workflow/index.ts')).runWorkflowAgent],
]);

/** Registers (or replaces) the agent of a kind; returns a function that restores the previous. */
export function registerAgent(kind: string, run: AgentRunFunction): () => void {
  const previous = loaders.get(kind);
  loaders.set(kind, () => Promise.resolve(run));
  return () => {
    if (previous) loaders.set(kind, previous);
    else loaders.delete(kind);
  };
}

/** The agent of a kind; throws for a kind no agent runs. */
export async function agentFor(kind: string): Promise<AgentRunFunction> {
  const load = loaders.get(kind);
  if (!load) throw new Error(`no agent is registered for runs of kind '${kind}'`);
  return load();
}
