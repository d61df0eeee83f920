import { z } from 'zod';
import { CursorSchema, IdSchema, LimitSchema } from './common.ts';
import { BUILTIN_ENVIRONMENTS, EnvironmentNameSchema } from './environment.ts';

export const TIERS = ['instant', 'standard', 'long'] as const;
export type Tier = (typeof TIERS)[number];

/** Allowed timeout per tier, in milliseconds, and the default when none is given. */
export const TIER_TIMEOUTS: Record<Tier, { min: number; max: number; default: number }> = {
  instant: { min: 1_000, max: 120_000, default: 60_000 },
  standard: { min: 5_000, max: 15 * 60_000, default: 5 * 60_000 },
  long: { min: 30_000, max: 6 * 3_600_000, default: 3_600_000 },
};

/** The built-in environments; an org may add its own (server/modules/environments). */
export const ENVIRONMENTS = BUILTIN_ENVIRONMENTS;
/** An environment's name: a built-in one or one the org created. */
export type Environment = string;

export const TRIGGER_KINDS = [
  'agent-service',
  'webhook',
  'scheduler',
  'manual',
  'app-event',
] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export const EXECUTION_STATUSES = ['queued', 'running', 'completed', 'failed', 'timeout'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

const retryFields = {
  enabled: z.boolean(),
  maxAttempts: z.number().int().min(1).max(10).describe('Attempts in all, the first included'),
  initialIntervalMs: z.number().int().min(1_000).max(3_600_000),
  backoff: z
    .boolean()
    .describe('Double the interval after each failed attempt (with up to 2× jitter)'),
  maxIntervalMs: z.number().int().min(1_000).max(3_600_000),
};

export const RetryPolicySchema = z
  .object(retryFields)
  .strict()
  .describe('How failed Standard and Long executions are retried');

/** A partial retry policy: what is given replaces the current (or default) value. */
export const RetryPatchSchema = z
  .object(retryFields)
  .partial()
  .strict()
  .describe('Defaults: 3 attempts, 5 s, doubling, ≤ 60 s');
export type RetryPatch = z.infer<typeof RetryPatchSchema>;
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

export const DEFAULT_RETRY: RetryPolicy = {
  enabled: true,
  maxAttempts: 3,
  initialIntervalMs: 5_000,
  backoff: true,
  maxIntervalMs: 60_000,
};

const SlugSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, - and _, starting with a letter');

const SourceSchema = z
  .string()
  .min(1)
  .max(512 * 1024);

export const WorkflowSchema = z
  .object({
    id: IdSchema,
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    tier: z.enum(TIERS),
    timeoutMs: z.number().int(),
    retry: RetryPolicySchema,
    status: z.enum(['active', 'inactive']),
    language: z.enum(['typescript', 'javascript']),
    draftSource: z.string(),
    latestVersion: z.number().int().describe('Highest published version; 0 before the first'),
    deployments: z
      .record(z.string(), z.object({ version: z.number().int(), deployedAt: z.string() }))
      .describe('Deployed version per environment'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe('Workflow code with its settings, draft and deployments');
export type Workflow = z.infer<typeof WorkflowSchema>;

export const CreateWorkflowSchema = z
  .object({
    name: z.string().trim().min(1).max(255),
    slug: SlugSchema.optional().describe('Default: from the name'),
    description: z.string().max(4096).optional(),
    tier: z.enum(TIERS).default('instant'),
    timeoutMs: z.number().int().optional(),
    retry: RetryPatchSchema.optional(),
    status: z.enum(['active', 'inactive']).optional(),
    language: z.enum(['typescript', 'javascript']).default('typescript'),
    source: SourceSchema,
  })
  .strict();
export type CreateWorkflow = z.infer<typeof CreateWorkflowSchema>;

export const UpdateWorkflowSchema = z
  .object({
    name: z.string().trim().min(1).max(255).optional(),
    description: z.string().max(4096).optional(),
    tier: z.enum(TIERS).optional(),
    timeoutMs: z.number().int().optional(),
    retry: RetryPatchSchema.optional(),
    status: z.enum(['active', 'inactive']).optional(),
    language: z.enum(['typescript', 'javascript']).optional(),
    source: SourceSchema.optional(),
  })
  .strict();
export type UpdateWorkflow = z.infer<typeof UpdateWorkflowSchema>;

export const WorkflowVersionSchema = z.object({
  id: IdSchema,
  workflowId: IdSchema,
  version: z.number().int(),
  language: z.string(),
  source: z.string(),
  tier: z.enum(TIERS),
  timeoutMs: z.number().int(),
  retry: RetryPolicySchema,
  note: z.string().nullable(),
  createdAt: z.string(),
});
export type WorkflowVersion = z.infer<typeof WorkflowVersionSchema>;

export const PublishSchema = z
  .object({
    note: z.string().max(1024).optional(),
    deployTo: z.array(EnvironmentNameSchema).optional(),
  })
  .strict();

export const DeploySchema = z
  .object({
    environment: EnvironmentNameSchema.describe('development, staging, production or a custom one'),
    version: z.number().int().min(1),
  })
  .strict();

export const RunWorkflowSchema = z
  .object({
    input: z.unknown().optional().describe('Becomes ctx.input'),
    environment: EnvironmentNameSchema.optional().describe(
      'Default: production for live keys, development for test keys',
    ),
    version: z.number().int().min(1).optional(),
    customerId: IdSchema.optional().describe('Whose connections ctx.connectors uses'),
  })
  .strict();
export type RunWorkflow = z.infer<typeof RunWorkflowSchema>;

export const RunResultSchema = z
  .object({
    executionId: z.uuid(),
    workflowId: z.uuid(),
    version: z.number().int(),
    environment: z.string(),
    tier: z.enum(TIERS),
    status: z.enum(EXECUTION_STATUSES),
    output: z.unknown().optional(),
    error: z
      .object({ kind: z.string(), message: z.string(), stack: z.string().optional() })
      .nullable()
      .optional(),
    durationMs: z.number().optional(),
  })
  .describe('Instant runs answer with the result; Standard and Long with the queued execution');

export const LogEntrySchema = z.object({
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  at: z.number(),
});

export const ExecutionSpanSchema = z.object({
  kind: z.enum(['connector', 'http', 'step', 'cdm', 'secret', 'state']),
  name: z.string(),
  startedAt: z.string(),
  durationMs: z.number(),
  ok: z.boolean(),
  status: z.number().int().optional(),
  error: z.string().optional(),
});
export type ExecutionSpan = z.infer<typeof ExecutionSpanSchema>;

export const ExecutionSchema = z
  .object({
    id: IdSchema,
    workflowId: IdSchema,
    workflowSlug: z.string().optional(),
    version: z.number().int(),
    environment: z.string(),
    tier: z.enum(TIERS),
    status: z.enum(EXECUTION_STATUSES),
    triggeredBy: z.enum(TRIGGER_KINDS),
    trigger: z.record(z.string(), z.unknown()),
    customerId: IdSchema.nullable(),
    attempt: z.number().int(),
    maxAttempts: z.number().int(),
    input: z.unknown(),
    output: z.unknown(),
    error: z
      .object({ kind: z.string(), message: z.string(), stack: z.string().optional() })
      .nullable(),
    rerunOf: IdSchema.nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
  })
  .describe('One run of a workflow');
export type Execution = z.infer<typeof ExecutionSchema>;

export const ExecutionDetailSchema = ExecutionSchema.extend({
  headers: z.record(z.string(), z.string()),
  logs: z.array(LogEntrySchema),
  spans: z.array(ExecutionSpanSchema),
  steps: z.array(z.object({ name: z.string(), attempt: z.number().int(), createdAt: z.string() })),
});
export type ExecutionDetail = z.infer<typeof ExecutionDetailSchema>;

export const ListExecutionsQuerySchema = z
  .object({
    status: z.enum(EXECUTION_STATUSES).optional(),
    workflowId: z.string().min(1).max(100).optional().describe('Workflow id or slug'),
    tier: z.enum(TIERS).optional(),
    customerId: IdSchema.optional(),
    environment: EnvironmentNameSchema.optional().describe('Ran in this environment'),
    from: z.iso.datetime({ offset: true }).optional().describe('Created at or after (ISO 8601)'),
    to: z.iso.datetime({ offset: true }).optional().describe('Created before (ISO 8601)'),
    limit: LimitSchema,
    cursor: CursorSchema,
  })
  .strict();
export type ListExecutionsQuery = z.infer<typeof ListExecutionsQuerySchema>;

export const ListWorkflowsQuerySchema = z
  .object({ limit: LimitSchema, cursor: CursorSchema })
  .strict();
