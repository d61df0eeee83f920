// The model layer's contract: one chat turn with tools, in a shape every provider adapter (OpenAI,
// Anthropic, LangChain, scripted) maps to and from. Kept provider-neutral so the agent loops never
// see an SDK type, and so the offline provider can say "no model" instead of faking a chat.
import type { z } from 'zod';

/** A tool call as the model made it. `input` is undefined when `malformed` says why. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The parsed arguments (an object), or undefined when they were not valid JSON. */
  readonly input: unknown;
  /** The arguments as the model wrote them. */
  readonly rawInput: string;
  /** Set when the arguments were not a JSON object: the parse error. */
  readonly malformed?: string;
}

export type ChatMessage =
  | { readonly role: 'user'; readonly content: string }
  | {
      readonly role: 'assistant';
      readonly content: string;
      readonly toolCalls?: readonly ToolCall[];
    }
  | {
      readonly role: 'tool';
      readonly toolCallId: string;
      readonly name: string;
      readonly content: string;
      readonly isError?: boolean;
    };

/** JSON Schema of a tool's input object, as providers expect it. */
export type JsonSchema = Record<string, unknown>;

/** A tool offered to the model: its input as a zod schema (validated) or plain JSON Schema. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType | JsonSchema;
}

export type ToolChoice = 'auto' | 'required' | 'none' | { readonly name: string };

export interface ChatRequest {
  readonly system?: string;
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolSpec[];
  readonly toolChoice?: ToolChoice;
  /** Cap on output tokens for this turn (Anthropic requires one; default 4096). */
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly signal?: AbortSignal;
  /** Streams the turn: called with each text delta as it arrives. */
  readonly onText?: (delta: string) => void;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export type StopReason = 'end' | 'tool_calls' | 'max_tokens' | 'refusal';

export interface ChatTurn {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly stopReason: StopReason;
  /** The provider's explanation when it refused (OpenAI `refusal`, a content filter). */
  readonly refusal?: string;
  readonly usage: TokenUsage;
  /** The model that answered, as the provider reports it. */
  readonly model: string;
  /** USD for this turn by the price table; 0 when the model has no price. */
  readonly costUsd: number;
}

/** What a provider says about itself: safe to log (never a key). */
export interface ProviderInfo {
  readonly kind: ProviderKind;
  readonly model: string | null;
  readonly baseUrl: string | null;
}

export type ProviderKind = 'offline' | 'openai' | 'anthropic' | 'langchain' | 'scripted';

/** A provider backed by a model: it can take a chat turn. */
export interface ModelProvider {
  readonly kind: Exclude<ProviderKind, 'offline'>;
  readonly model: string;
  chat(request: ChatRequest): Promise<ChatTurn>;
  describe(): ProviderInfo;
}

/** No model: agent steps run their deterministic logic instead. */
export interface OfflineProvider {
  readonly kind: 'offline';
  readonly model: null;
  describe(): ProviderInfo;
}

export type Provider = ModelProvider | OfflineProvider;

/** True when a step may ask a model; false for the offline provider. */
export function hasModel(provider: Provider): provider is ModelProvider {
  return provider.kind !== 'offline';
}
