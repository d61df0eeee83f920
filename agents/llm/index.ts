// The model layer's public surface for the agents: providers, the tool loop, structured output,
// budgets, prices and typed errors. Agent steps import from here, never from an adapter file.
export type {
  ChatMessage,
  ChatRequest,
  ChatTurn,
  JsonSchema,
  ModelProvider,
  OfflineProvider,
  Provider,
  ProviderInfo,
  ProviderKind,
  StopReason,
  TokenUsage,
  ToolCall,
  ToolChoice,
  ToolSpec,
} from './types.ts';
export { hasModel } from './types.ts';
export { isLlmError, LlmError, type LlmErrorKind } from './errors.ts';
export { createBudget, type Budget, type BudgetLimits, type BudgetSpent } from './budget.ts';
export {
  costOf,
  DEFAULT_PRICES,
  mergePrices,
  priceOf,
  type ModelPrice,
  type PriceTable,
} from './prices.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';
export {
  createProvider,
  DEFAULT_MODELS,
  type LlmConfig,
  type LlmProviderName,
} from './provider.ts';
export { createOpenAiProvider, type OpenAiProviderOptions } from './openai.ts';
export { createAnthropicProvider, type AnthropicProviderOptions } from './anthropic.ts';
export { createLangChainProvider, type LangChainProviderOptions } from './langchain.ts';
export {
  createOfflineProvider,
  createScriptedProvider,
  type ScriptedProvider,
  type ScriptedTurn,
} from './offline.ts';
export {
  runToolLoop,
  type RunUsage,
  type ToolCallRecord,
  type ToolCallStatus,
  type ToolLoopOptions,
  type ToolLoopResult,
  type ToolResult,
} from './tool-loop.ts';
export { generateObject, type StructuredResult } from './structured.ts';
