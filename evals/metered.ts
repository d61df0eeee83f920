// A provider that keeps count of what its model turns spent (tokens in and out, USD), so a case
// that errors or times out part way still reports the tokens it used: the agent's own report,
// where usage is normally read, is lost with the thrown error. The offline provider has no turns
// and is returned as it is.
import type { Provider } from '../agents/llm/index.ts';

export interface Spent {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export function metered(provider: Provider): { provider: Provider; spent: () => Spent } {
  const spent: Spent = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  if (provider.kind === 'offline') return { provider, spent: () => ({ ...spent }) };
  const inner = provider;
  return {
    provider: {
      kind: inner.kind,
      model: inner.model,
      describe: () => inner.describe(),
      async chat(request) {
        const turn = await inner.chat(request);
        spent.inputTokens += turn.usage.inputTokens;
        spent.outputTokens += turn.usage.outputTokens;
        spent.costUsd += turn.costUsd;
        return turn;
      },
    },
    spent: () => ({ ...spent }),
  };
}
