// Choosing a provider from configuration. The configuration comes from server/config.ts (the
// only reader of the environment: WEFT_LLM, WEFT_LLM_MODEL, WEFT_LLM_BASE_URL, the API keys,
// WEFT_LLM_PRICES) and can be overridden per run (a run may ask for another model). API keys go
// into the SDK clients and nowhere else: `describe()` and errors never carry them.
import { createAnthropicProvider } from './anthropic.ts';
import { LlmError } from './errors.ts';
import { createOfflineProvider } from './offline.ts';
import { createOpenAiProvider } from './openai.ts';
import { mergePrices, type PriceTable } from './prices.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';
import type { Provider } from './types.ts';

export type LlmProviderName = 'offline' | 'openai' | 'anthropic';

export interface LlmConfig {
  readonly provider: LlmProviderName;
  /** Model name; defaults per provider (DEFAULT_MODELS). */
  readonly model?: string | undefined;
  /** An OpenAI-compatible server (Ollama, vLLM, ...) or an Anthropic-compatible endpoint. */
  readonly baseUrl?: string | undefined;
  readonly openaiApiKey?: string | undefined;
  readonly anthropicApiKey?: string | undefined;
  /** Price overrides (USD per million tokens), merged over the built-in table. */
  readonly prices?: PriceTable | undefined;
  /** Timeout of one model call, stream included. */
  readonly timeoutMs?: number | undefined;
  /** Attempts per model call, the first included. */
  readonly maxAttempts?: number | undefined;
}

export const DEFAULT_MODELS = {
  openai: 'gpt-4.1-mini',
  anthropic: 'claude-sonnet-4-5',
} as const;

/**
 * The provider a run uses: the configuration with the run's overrides on top. `retry` replaces
 * parts of the retry policy (tests pass a recording `sleep`).
 */
export function createProvider({
  config,
  overrides = {},
  retry = {},
}: {
  config: LlmConfig;
  overrides?: Partial<LlmConfig>;
  retry?: Partial<RetryPolicy>;
}): Provider {
  const c: LlmConfig = { ...config, ...stripUndefined(overrides) };
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    ...(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }),
    ...(c.maxAttempts === undefined ? {} : { maxAttempts: c.maxAttempts }),
    ...retry,
  };
  const prices = mergePrices(c.prices);
  switch (c.provider) {
    case 'offline':
      return createOfflineProvider();
    case 'openai':
      // A custom base URL is usually a local server that takes no key.
      if (c.openaiApiKey === undefined && c.baseUrl === undefined) {
        throw new LlmError({
          kind: 'provider_error',
          message:
            'WEFT_LLM=openai needs OPENAI_API_KEY (or WEFT_LLM_BASE_URL for a local OpenAI-compatible server)',
        });
      }
      return createOpenAiProvider({
        model: c.model ?? DEFAULT_MODELS.openai,
        apiKey: c.openaiApiKey,
        baseUrl: c.baseUrl,
        prices,
        retry: policy,
      });
    case 'anthropic':
      if (c.anthropicApiKey === undefined && c.baseUrl === undefined) {
        throw new LlmError({
          kind: 'provider_error',
          message: 'WEFT_LLM=anthropic needs ANTHROPIC_API_KEY',
        });
      }
      return createAnthropicProvider({
        model: c.model ?? DEFAULT_MODELS.anthropic,
        apiKey: c.anthropicApiKey,
        baseUrl: c.baseUrl,
        prices,
        retry: policy,
      });
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
