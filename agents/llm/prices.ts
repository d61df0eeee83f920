// What a model turn costs, from a table of USD per million tokens keyed by model name. Provider
// model names carry date suffixes (`gpt-4o-mini-2024-07-18`, `claude-sonnet-4-5-20250929`), so a
// name matches its longest listed prefix. Prices are the providers' list prices when written;
// operators override or extend them with WEFT_LLM_PRICES. A model with no price (a local model
// on Ollama) costs 0 and is reported as unpriced rather than guessed.
import type { TokenUsage } from './types.ts';

export interface ModelPrice {
  /** USD per million input tokens. */
  readonly input: number;
  /** USD per million output tokens. */
  readonly output: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

export const DEFAULT_PRICES: PriceTable = {
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'o4-mini': { input: 1.1, output: 4.4 },
  o3: { input: 2, output: 8 },
  'claude-opus-4-1': { input: 15, output: 75 },
  'claude-opus-4': { input: 15, output: 75 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
};

/** The price of a model: an exact entry, else the longest listed prefix, else null. */
export function priceOf({
  model,
  prices = DEFAULT_PRICES,
}: {
  model: string;
  prices?: PriceTable;
}): ModelPrice | null {
  const exact = prices[model];
  if (exact !== undefined) return exact;
  let best: string | null = null;
  for (const name of Object.keys(prices)) {
    if (model.startsWith(name) && (best === null || name.length > best.length)) best = name;
  }
  return best === null ? null : (prices[best] ?? null);
}

/** USD for a turn's usage; 0 for an unpriced model. */
export function costOf({
  model,
  usage,
  prices,
}: {
  model: string;
  usage: TokenUsage;
  prices?: PriceTable;
}): number {
  const price = priceOf(prices === undefined ? { model } : { model, prices });
  if (price === null) return 0;
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
}

/** The default table with overrides on top (an override replaces a model's entry whole). */
export function mergePrices(overrides: PriceTable | undefined): PriceTable {
  return overrides === undefined ? DEFAULT_PRICES : { ...DEFAULT_PRICES, ...overrides };
}
