// Agent runs as the API, the MCP tools and the services see them. A run is started (202, queued),
// executed by the workers, and read back with its steps (each with its output), its tool calls
// (spans, arguments with secrets masked), its usage and, while it waits, the pending handback.
// The kinds a caller may start are the agents that exist; the store accepts any kind name so
// that a new agent needs no migration (and tests can register a stub kind).
import { z } from 'zod';
import { CursorSchema, IdSchema, LimitSchema } from './common.ts';

/** The agents a caller can start over the API (the Workflow Agent and Setup Assistant follow). */
export const STARTABLE_AGENT_KINDS = ['connector'] as const;

export const AgentKindSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, { error: 'must be a kind name such as connector' });

export const AGENT_RUN_STATUSES = [
  'queued',
  'running',
  'waiting',
  'completed',
  'failed',
  'budget',
  'cancelled',
] as const;
export type AgentRunStatus = (typeof AGENT_RUN_STATUSES)[number];
/** Statuses a run never leaves. */
export const FINAL_AGENT_RUN_STATUSES: ReadonlySet<AgentRunStatus> = new Set([
  'completed',
  'failed',
  'budget',
  'cancelled',
]);

export const LLM_PROVIDERS = ['offline', 'openai', 'anthropic'] as const;

const MAX_INPUT_CHARS = 256 * 1024;

export const CreateAgentRunSchema = z
  .object({
    kind: z.enum(STARTABLE_AGENT_KINDS).describe('The agent to run'),
    input: z
      .record(z.string(), z.unknown())
      .refine((v) => JSON.stringify(v).length <= MAX_INPUT_CHARS, {
        message: 'must serialize to at most 256 KiB',
      })
      .describe("The agent's input, e.g. { source: 'https://…/openapi.json' }"),
    provider: z.enum(LLM_PROVIDERS).optional().describe('Model provider; default WEFT_LLM'),
    model: z.string().trim().min(1).max(200).optional().describe('Model name for this run'),
    interactive: z
      .boolean()
      .optional()
      .describe('Pause at each handback until approve or revise (default false)'),
  })
  .strict();
export type CreateAgentRun = z.infer<typeof CreateAgentRunSchema>;

export const DecisionRecordSchema = z.object({
  stage: z.string(),
  decision: z.enum(['approve', 'revise']),
  note: z.string().optional(),
  at: z.string().describe('ISO 8601'),
});
export type DecisionRecord = z.infer<typeof DecisionRecordSchema>;

export const AgentRunSchema = z.object({
  id: IdSchema,
  kind: z.string(),
  status: z.enum(AGENT_RUN_STATUSES),
  input: z.unknown().describe('As given, with secret-looking fields masked'),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  interactive: z.boolean(),
  createdBy: z.object({
    type: z.string(),
    id: z.string().nullable(),
    userId: z.string().nullable(),
  }),
  report: z.unknown().nullable(),
  error: z.string().nullable(),
  usage: z.object({ tokensIn: z.number(), tokensOut: z.number(), costUsd: z.number() }),
  pending: z
    .object({ stage: z.string(), summary: z.string() })
    .nullable()
    .describe('The handback waiting for approve or revise'),
  decisions: z.array(DecisionRecordSchema),
  cancelRequested: z.boolean(),
  attempts: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type AgentRun = z.infer<typeof AgentRunSchema>;

export const AgentRunStepSchema = z.object({
  name: z.string(),
  status: z.enum(['running', 'finished', 'failed']),
  output: z.unknown().nullable(),
  summary: z.string().nullable(),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type AgentRunStep = z.infer<typeof AgentRunStepSchema>;

export const AgentRunSpanSchema = z.object({
  step: z.string(),
  tool: z.string(),
  arguments: z.unknown().describe('Secrets masked'),
  ok: z.boolean(),
  status: z.enum(['ok', 'error', 'not_allowed']),
  summary: z.string(),
  durationMs: z.number(),
  tokensIn: z.number().nullable(),
  tokensOut: z.number().nullable(),
  at: z.string(),
});
export type AgentRunSpan = z.infer<typeof AgentRunSpanSchema>;

export const AgentRunDetailSchema = AgentRunSchema.extend({
  steps: z.array(AgentRunStepSchema),
  spans: z.array(AgentRunSpanSchema),
});
export type AgentRunDetail = z.infer<typeof AgentRunDetailSchema>;

export const AgentRunAcceptedSchema = z.object({
  runId: IdSchema,
  status: z.enum(AGENT_RUN_STATUSES),
});

export const ListAgentRunsQuerySchema = z
  .object({
    limit: LimitSchema,
    cursor: CursorSchema,
    status: z.enum(AGENT_RUN_STATUSES).optional(),
    kind: AgentKindSchema.optional(),
  })
  .strict();
export type ListAgentRunsQuery = z.infer<typeof ListAgentRunsQuerySchema>;

export const RunIdParamsSchema = z.object({ runId: IdSchema }).strict();

export const ReviseAgentRunSchema = z
  .object({
    note: z.string().trim().min(1).max(4000).describe('What to change before the run goes on'),
  })
  .strict();
