// Two providers with no network: `offline`, the default, which has no model at all (agent steps
// check `hasModel(provider)` and run their deterministic logic), and `scripted`, which answers
// from a list of turns, for tests of agent steps that want model behaviour without a server.
import { LlmError } from './errors.ts';
import { costOf, DEFAULT_PRICES, type PriceTable } from './prices.ts';
import { parseToolArguments } from './schema.ts';
import type {
  ChatRequest,
  ChatTurn,
  ModelProvider,
  OfflineProvider,
  StopReason,
  ToolCall,
} from './types.ts';

export function createOfflineProvider(): OfflineProvider {
  return {
    kind: 'offline',
    model: null,
    describe: () => ({ kind: 'offline', model: null, baseUrl: null }),
  };
}

/** One scripted answer: text and/or tool calls (arguments as an object or raw text), or an error. */
export interface ScriptedTurn {
  readonly text?: string;
  readonly toolCalls?: readonly {
    readonly id?: string;
    readonly name: string;
    readonly arguments: Record<string, unknown> | string;
  }[];
  readonly refusal?: string;
  readonly stopReason?: StopReason;
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number };
  /** Thrown instead of answering. */
  readonly error?: LlmError;
}

export interface ScriptedProvider extends ModelProvider {
  /** Every request received, in order. */
  readonly requests: ChatRequest[];
}

export function createScriptedProvider({
  turns,
  model = 'scripted',
  prices = DEFAULT_PRICES,
}: {
  turns: readonly (ScriptedTurn | ((request: ChatRequest) => ScriptedTurn))[];
  model?: string;
  prices?: PriceTable;
}): ScriptedProvider {
  const requests: ChatRequest[] = [];
  let next = 0;
  return {
    kind: 'scripted',
    model,
    requests,
    describe: () => ({ kind: 'scripted', model, baseUrl: null }),
    chat(request) {
      requests.push(request);
      const entry = turns[next];
      next += 1;
      if (entry === undefined) {
        return Promise.reject(
          new LlmError({
            kind: 'provider_error',
            message: `the scripted provider has no turn ${next} (script has ${turns.length})`,
          }),
        );
      }
      const scripted = typeof entry === 'function' ? entry(request) : entry;
      if (scripted.error !== undefined) return Promise.reject(scripted.error);
      const calls = (scripted.toolCalls ?? []).map((call, index): ToolCall => {
        const raw =
          typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
        const parsed = parseToolArguments(raw);
        return {
          id: call.id ?? `call_${next}_${index}`,
          name: call.name,
          rawInput: raw,
          input: parsed.input,
          ...(parsed.malformed === undefined ? {} : { malformed: parsed.malformed }),
        };
      });
      const text = scripted.text ?? '';
      if (request.onText !== undefined && text !== '') request.onText(text);
      const usage = scripted.usage ?? { inputTokens: 0, outputTokens: 0 };
      const stopReason: StopReason =
        scripted.stopReason ??
        (scripted.refusal !== undefined ? 'refusal' : calls.length > 0 ? 'tool_calls' : 'end');
      const turn: ChatTurn = {
        text,
        toolCalls: calls,
        stopReason,
        ...(scripted.refusal === undefined ? {} : { refusal: scripted.refusal }),
        usage,
        model,
        costUsd: costOf({ model, usage, prices }),
      };
      return Promise.resolve(turn);
    },
  };
}
