// The Setup Assistant's session state, inputs and events: plain JSON, so any store keeps a
// session and it resumes after a restart; shared by the state machine (assistant.ts) and the
// model path (converse.ts).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Provider } from '../llm/index.ts';
import type { RunJournal } from '../runs/journal.ts';
import type { Mapping } from '../workflow/plan.ts';
import type { ToolCaller } from '../workflow/tools.ts';

export const SETUP_STEPS = ['use_cases', 'connectors', 'integration', 'embed', 'live'] as const;
export type SetupStep = (typeof SETUP_STEPS)[number];

export type SetupEvent =
  | { type: 'step'; step: SetupStep; status: 'active' | 'done' }
  | { type: 'text'; text: string }
  /** A piece of the model's answer as it streams; a message ends with a delta ending in "\n". */
  | { type: 'text_delta'; text: string }
  | { type: 'choices'; id: string; options: string[] }
  | {
      type: 'form';
      id: string;
      title: string;
      fields: { name: string; label: string; secret: boolean }[];
    }
  | { type: 'mapping_review'; items: { step: string; target: string; words: string }[] }
  | {
      type: 'test_cases';
      cases: {
        name: string;
        mode: 'MOCK' | 'LIVE';
        passWhen: string;
        passed: boolean;
        problems: readonly string[];
      }[];
    }
  | { type: 'checklist'; items: { id: string; label: string; ok: boolean; fix: string | null }[] }
  | { type: 'activity'; tool: string; summary: string };

export type MappingOverride = Omit<Mapping, 'target'>;

export interface UseCase {
  text: string;
  source: string;
  entity: string;
  target: string;
}

export interface SetupState {
  step: SetupStep;
  /** What the team said: their app, the entity, the app their customers want. */
  useCase: UseCase | null;
  connectors: Record<string, { slug: string; connectionId: string | null }>;
  customerId: string | null;
  /** Finished steps of the Workflow Agent run, by step name. */
  workflowSteps: Record<string, unknown>;
  mappingOverrides: Record<string, MappingOverride>;
  workflow: { slug: string; published: boolean } | null;
  complete: boolean;
  /** The person allowed a LIVE test case on the test connections. */
  allowLive?: boolean;
  /** The conversation with the model, newest last (only with a model). */
  transcript?: { role: 'user' | 'assistant'; text: string }[];
  /** What the model's turns of this session spent so far (only with a model). */
  modelUsage?: { inputTokens: number; outputTokens: number; costUsd: number };
}

export type SetupInput =
  | { text: string }
  | { choice: string }
  | { form: string; values: Record<string, string> }
  | { redo: SetupStep };

/**
 * What a turn acts on: the person's structured replies, plus what the model understood from
 * free text (converse.ts) — a use case, mapping changes, the LIVE test permission.
 */
export type StepInput =
  | SetupInput
  | { useCase: UseCase }
  | { mappings: Record<string, MappingOverride> }
  | { allowLive: boolean };

export interface SetupContext {
  readonly client: Client;
  readonly provider: Provider;
  /** Where tool calls are recorded (a run's journal, or a throwaway one). */
  readonly journal?: RunJournal;
  /** Public base URL of Weft, for the embed step's gateway config. */
  readonly publicUrl: string;
  /** Each event as it happens (the model's text as it streams), before the turn ends. */
  readonly onEvent?: (event: SetupEvent) => void;
  readonly signal?: AbortSignal;
  /**
   * Model tokens (in + out) the session may spend in all; past it, free text is read without
   * the model. Unset: no cap.
   */
  readonly maxModelTokens?: number;
}

export interface Turn {
  say(text: string): void;
  enter(step: SetupStep): void;
  emit(event: SetupEvent): void;
  /** Every event of the turn so far. */
  readonly events: readonly SetupEvent[];
  tools: ToolCaller;
  journal: RunJournal;
  context: SetupContext;
}
