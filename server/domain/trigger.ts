import { z } from 'zod';
import { CursorSchema, IdSchema, LimitSchema } from './common.ts';
import { EnvironmentNameSchema } from './environment.ts';

export const TRIGGER_TYPES = ['webhook', 'scheduler', 'app_event'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export const EVENT_VERDICTS = [
  'pending',
  'routed',
  'filtered_out',
  'duplicate',
  'rejected',
  'failed',
] as const;
export type EventVerdict = (typeof EVENT_VERDICTS)[number];

export const RouteInputSchema = z
  .object({
    workflow: z.string().min(1).max(100).describe('Workflow id or slug'),
    environment: EnvironmentNameSchema.default('production'),
    headers: z
      .record(z.string().regex(/^[a-zA-Z0-9-]{1,100}$/), z.string().max(1000))
      .default({})
      .describe('Added to ctx.headers'),
    filter: z
      .string()
      .min(1)
      .max(4000)
      .optional()
      .describe(
        'A JSONata expression over { body, headers }; the route runs when it is true (e.g. `body.type = "order.created" and body.total > 100`)',
      ),
    payload: z.unknown().optional().describe('Scheduler: the JSON passed as ctx.input'),
  })
  .strict();
export type RouteInput = z.infer<typeof RouteInputSchema>;

export const RouteSchema = z.object({
  id: IdSchema,
  workflowId: IdSchema,
  workflowSlug: z.string(),
  environment: z.string(),
  headers: z.record(z.string(), z.string()),
  filter: z.string().nullable(),
  payload: z.unknown(),
});
export type Route = z.infer<typeof RouteSchema>;

export const WebhookAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z
    .object({
      type: z.literal('api_key'),
      header: z
        .string()
        .regex(/^[a-zA-Z0-9-]{1,100}$/)
        .default('x-webhook-key')
        .describe('Header that must carry the key'),
    })
    .strict(),
  z
    .object({
      type: z.literal('hmac'),
      toleranceSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .default(300)
        .describe('How far webhook-timestamp may be from now'),
    })
    .strict()
    .describe(
      'Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>)',
    ),
]);
export type WebhookAuth = z.infer<typeof WebhookAuthSchema>;

export const WebhookConfigSchema = z
  .object({
    auth: WebhookAuthSchema.default({ type: 'none' }),
    mode: z
      .enum(['parallel', 'sequential'])
      .default('parallel')
      .describe('Run the matched routes at once, or one after another in route order'),
    dedup: z
      .object({
        path: z
          .string()
          .min(1)
          .max(500)
          .describe('JSONata path to the key in { body, headers }, e.g. body.id'),
        windowSeconds: z
          .number()
          .int()
          .min(1)
          .max(7 * 86_400)
          .default(3600),
      })
      .strict()
      .nullable()
      .default(null),
  })
  .strict();
export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;

const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const ScheduleSchema = z.discriminatedUnion('preset', [
  z
    .object({
      preset: z.literal('interval'),
      every: z.number().int().min(1),
      unit: z.enum(['seconds', 'minutes', 'hours', 'days']),
      startAt: z.iso.datetime({ offset: true }).optional().describe('First run (default: now)'),
    })
    .strict(),
  z.object({ preset: z.literal('daily'), time: Time }).strict(),
  z
    .object({ preset: z.literal('weekly'), days: z.array(z.enum(WEEKDAYS)).min(1), time: Time })
    .strict(),
  z
    .object({
      preset: z.literal('monthly'),
      dayOfMonth: z.number().int().min(1).max(31),
      time: Time,
    })
    .strict(),
  z
    .object({
      preset: z.literal('cron'),
      expression: z.string().min(1).max(200).describe('5 or 6 fields (seconds first when 6)'),
    })
    .strict(),
]);
export type Schedule = z.infer<typeof ScheduleSchema>;

export const SchedulerConfigSchema = z
  .object({
    schedule: ScheduleSchema,
    timezone: z.string().min(1).max(100).default('UTC').describe('IANA time zone'),
  })
  .strict();
export type SchedulerConfig = z.infer<typeof SchedulerConfigSchema>;

export const SchedulePreviewRequestSchema = SchedulerConfigSchema.extend({
  count: z.number().int().min(1).max(50).default(5),
});

export const SchedulePreviewSchema = z.object({ nextRuns: z.array(z.string()) });

export const AppEventConfigSchema = z
  .object({
    connectionId: IdSchema.describe("The customer's connection whose events start the trigger"),
    event: z.string().min(1).max(200).describe("One of the connector's events"),
  })
  .strict();
export type AppEventConfig = z.infer<typeof AppEventConfigSchema>;

const base = {
  name: z.string().trim().min(1).max(255),
  description: z.string().max(4096).optional(),
  status: z.enum(['active', 'inactive']).optional(),
  routes: z.array(RouteInputSchema).max(50).default([]),
};

export const CreateTriggerSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('webhook'),
      ...base,
      webhook: WebhookConfigSchema.default({
        auth: { type: 'none' },
        mode: 'parallel',
        dedup: null,
      }),
      secret: z
        .string()
        .min(16)
        .max(256)
        .optional()
        .describe('API key or HMAC secret; generated and shown once when absent'),
    })
    .strict(),
  z.object({ type: z.literal('scheduler'), ...base, scheduler: SchedulerConfigSchema }).strict(),
  z.object({ type: z.literal('app_event'), ...base, appEvent: AppEventConfigSchema }).strict(),
]);
export type CreateTrigger = z.infer<typeof CreateTriggerSchema>;

export const UpdateTriggerSchema = z
  .object({
    name: z.string().trim().min(1).max(255).optional(),
    description: z.string().max(4096).optional(),
    status: z.enum(['active', 'inactive']).optional(),
    routes: z.array(RouteInputSchema).max(50).optional(),
    webhook: WebhookConfigSchema.optional(),
    scheduler: SchedulerConfigSchema.optional(),
  })
  .strict();
export type UpdateTrigger = z.infer<typeof UpdateTriggerSchema>;

export const TriggerSchema = z
  .object({
    id: IdSchema,
    type: z.enum(TRIGGER_TYPES),
    name: z.string(),
    description: z.string(),
    status: z.enum(['active', 'inactive']),
    routes: z.array(RouteSchema),
    webhook: WebhookConfigSchema.extend({
      url: z.string().describe('Where senders POST events'),
    }).optional(),
    scheduler: SchedulerConfigSchema.extend({
      nextRunAt: z.string().nullable(),
    }).optional(),
    appEvent: AppEventConfigSchema.extend({
      connector: z.string(),
      customerId: IdSchema.nullable(),
      subscription: z.record(z.string(), z.unknown()),
    }).optional(),
    /** Only in the answer to create (and to rotate): the generated secret, never again. */
    secret: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe('A trigger and its routes to workflows');
export type Trigger = z.infer<typeof TriggerSchema>;

export const TriggerEventSchema = z.object({
  id: IdSchema,
  triggerId: IdSchema,
  source: z.enum(TRIGGER_TYPES),
  customerId: IdSchema.nullable(),
  headers: z.record(z.string(), z.string()),
  payload: z.unknown(),
  dedupKey: z.string().nullable(),
  verdict: z.enum(EVENT_VERDICTS),
  matchedRoutes: z.array(z.string()),
  executions: z.array(
    z.object({ routeId: z.string(), executionId: z.string(), status: z.string() }),
  ),
  error: z.string().nullable(),
  deadLetter: z.boolean(),
  attempts: z.number().int(),
  receivedAt: z.string(),
  routedAt: z.string().nullable(),
});
export type TriggerEvent = z.infer<typeof TriggerEventSchema>;

export const ListEventsQuerySchema = z
  .object({
    triggerId: IdSchema.optional(),
    verdict: z.enum(EVENT_VERDICTS).optional(),
    deadLetter: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    limit: LimitSchema,
    cursor: CursorSchema,
  })
  .strict();
export type ListEventsQuery = z.infer<typeof ListEventsQuerySchema>;
