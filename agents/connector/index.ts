// The Connector Agent's public surface: `runConnectorAgent` (any provider, offline by default)
// and `createConnectorAgent({ model })` for callers who embed it with a LangChain chat model.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createLangChainProvider, type LangChainProviderOptions } from '../llm/index.ts';
import type { RunJournal } from '../runs/journal.ts';
import { createMemoryJournal } from '../runs/memory-journal.ts';
import { runConnectorAgent } from './orchestrator.ts';
import type { ConnectorAgentBudget, ConnectorAgentInput, ConnectorReport } from './types.ts';

export { runConnectorAgent, STEP_TOOLS, type RunConnectorAgentOptions } from './orchestrator.ts';
export { CONNECTOR_STEPS } from './types.ts';
export type {
  ConnectorAgentBudget,
  ConnectorAgentInput,
  ConnectorReport,
  ConnectorStep,
  Fix,
  FieldDiff,
  TestSummary,
} from './types.ts';

/** The agent bound to a LangChain chat model (one that supports `bindTools`). */
export function createConnectorAgent({ model }: { model: LangChainProviderOptions['model'] }): {
  run(options: {
    client: Client;
    input: ConnectorAgentInput;
    journal?: RunJournal;
    budget?: ConnectorAgentBudget;
    signal?: AbortSignal;
  }): Promise<ConnectorReport>;
} {
  const provider = createLangChainProvider({ model });
  return {
    run: ({ client, input, journal, budget, signal }) =>
      runConnectorAgent({
        client,
        provider,
        input,
        journal: journal ?? createMemoryJournal({ interactive: input.interactive === true }),
        ...(budget === undefined ? {} : { budget }),
        ...(signal === undefined ? {} : { signal }),
      }),
  };
}
