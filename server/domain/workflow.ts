import { z } from 'zod';
import { CursorSchema, IdSchema, LimitSchema } from './common.ts';

export const TIERS = ['instant', 'standard', 'long'] as const;
export type Tier = (typeof TIERS)[number];

/** Allowed timeout per tier, in milliseconds, and the default when none is given. */
export const TIER_TIMEOUTS: Record<Tier, { min: number; max: number; default: number }> = {
  instant: { min: 1_000, max: 120_000, default: 60_000 },
  standard: { min: 5_000, max: 15 * 60_000, default: 5 * 60_000 },
  long: { min: 30_000, max: 6 * 3_600_000, default: 3_600_000 },
};

export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

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
  .describe('Retry policy fields to set; defaults: 3 attempts, 5 s, doubling, at most 60 s');
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
  .max(512 * 1024)
  .describe('TS or JS source exporting `default async function (ctx)`');

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
    slug: SlugSchema.optional().describe('Defaults to one derived from the name'),
    description: z.string().max(4096).optional(),
    tier: z.enum(TIERS).default('instant'),
    timeoutMs: z
      .number()
      .int()
      .optional()
      .describe('Within the tier range; tier default if absent'),
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
    source: SourceSchema.optional().describe('Replaces the draft; publish to make it a version'),
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
    deployTo: z
      .array(z.enum(ENVIRONMENTS))
      .optional()
      .describe('Environments to deploy the new version to at once'),
  })
  .strict();

export const DeploySchema = z
  .object({
    environment: z.enum(ENVIRONMENTS),
    version: z.number().int().min(1).describe('A published version; an older one rolls back'),
  })
  .strict();

export const RunWorkflowSchema = z
  .object({
    input: z.unknown().optional().describe('Becomes ctx.input'),
    environment: z
      .enum(ENVIRONMENTS)
      .optional()
      .describe(
        'Runs the version deployed there; production for live keys, development for test keys',
      ),
    version: z.number().int().min(1).optional().describe('Run this published version instead'),
    customerId: IdSchema.optional().describe('The customer whose connections ctx.connectors uses'),
  })
  .strict();
export type RunWorkflow = z.infer<typeof RunWorkflowSchema>;

export const RunResultSchema = z
  .object({
    executionId: z.uuid(),
    workflowId: z.uuid(),
    version: z.number().int(),
    environment: z.enum(ENVIRONMENTS),
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
    environment: z.enum(ENVIRONMENTS),
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
