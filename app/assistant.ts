// The Setup Assistant composed for the server: each turn connects an in-process MCP client for
// the caller's tenant as 'weft-setup-assistant' (so every write it makes is audited as the agent
// on the user's behalf, app/agent-client.ts), runs one `setupTurn` (agents/setup/assistant.ts,
// loaded on first use, like the model layer) with the model from WEFT_LLM, and translates its
// events to the wire as they happen: the model's streamed text as `text_delta`, tool calls as
// they start and finish (the client's callTool is wrapped, so the turn's own end-of-turn
// activity list is dropped); approvals become `handback` events.
import type { SetupEvent, SetupInput } from '../agents/setup/assistant.ts';
import type { AssistantMessage } from '../server/domain/assistant.ts';
import type { AssistantDeps, WireEvent } from '../server/modules/assistant/assistant.service.ts';
import { connectAgentClient } from './agent-client.ts';
import type { Services } from './services.ts';

export const SETUP_ASSISTANT_CLIENT = 'weft-setup-assistant';

/** Choices that approve what an agent did (the Workflow Agent's handbacks). */
const HANDBACKS = new Set(['mapping', 'publish']);

function toSetupInput(m: AssistantMessage): SetupInput {
  if (m.choice !== undefined) return { choice: m.choice };
  if (m.form !== undefined) return { form: m.form, values: m.values ?? {} };
  if (m.redo !== undefined) return { redo: m.redo };
  return { text: m.text ?? '' };
}

function toWire(e: SetupEvent): WireEvent | null {
  switch (e.type) {
    case 'text':
      return { type: 'text_delta', text: `${e.text}\n` };
    case 'text_delta':
      return { type: 'text_delta', text: e.text };
    case 'activity':
      return null;
    case 'choices':
      return HANDBACKS.has(e.id) ? { ...e, type: 'handback', stage: e.id } : { ...e };
    case 'form':
    case 'step':
    case 'mapping_review':
    case 'test_cases':
    case 'checklist':
      return { ...e };
  }
}

export function createSetupAssistant(services: Services): AssistantDeps {
  return {
    // Empty until the first turn fills it from agents/setup's initialState() (so the agents
    // are not loaded at start-up).
    initialState: () => ({}),
    async turn({ tenant, state, input, emit }) {
      const setup = await import('../agents/setup/assistant.ts');
      const { createProvider } = await import('../agents/llm/index.ts');
      const agent = await connectAgentClient({
        services,
        tenant,
        logger: services.logger,
        clientName: SETUP_ASSISTANT_CLIENT,
      });
      const client = agent.client;
      const callTool = client.callTool.bind(client);
      client.callTool = async (params, ...rest) => {
        emit({ type: 'tool_activity', tool: params.name, status: 'started' });
        const result = await callTool(params, ...rest);
        const first = (result.content as { text?: string }[] | undefined)?.[0]?.text ?? '';
        emit({
          type: 'tool_activity',
          tool: params.name,
          status: result.isError === true ? 'error' : 'ok',
          summary: first.slice(0, 200),
        });
        return result;
      };
      try {
        const out = await setup.setupTurn({
          state:
            state !== null && typeof state === 'object' && 'step' in state
              ? (state as Parameters<typeof setup.setupTurn>[0]['state'])
              : setup.initialState(),
          input: toSetupInput(input),
          context: {
            client,
            provider: createProvider({ config: services.config.llm }),
            maxModelTokens: services.config.llm.assistantMaxTokens,
            publicUrl: services.publicBaseUrl(),
            // Events go out as they happen: the model's text as it streams, forms and
            // results as each step reaches them.
            onEvent: (e) => {
              const wire = toWire(e);
              if (wire !== null) emit(wire);
            },
          },
        });
        return { state: out.state, complete: out.state.complete };
      } finally {
        await agent.close();
      }
    },
  };
}
