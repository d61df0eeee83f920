import { z } from 'zod';
import { IdSchema, LimitSchema } from './common.ts';

export const ALERT_CONDITIONS = [
  'error_rate',
  'latency_p99',
  'latency_p95',
  'latency_avg',
  'throughput',
  'failure_count',
] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

const ConditionSchema = z
  .enum(ALERT_CONDITIONS)
  .describe('error_rate in %, latency_* in ms, throughput and failure_count in executions');

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  condition: ConditionSchema,
  threshold: z.number().min(0).max(1e12),
  windowSeconds: z
    .number()
    .int()
    .min(60)
    .max(86_400)
    .describe('Sliding; at most one notification per window'),
  workflow: z.string().min(1).max(200).nullable().optional().describe('Scope: one workflow'),
  customerId: IdSchema.nullable().optional().describe('Scope: one customer'),
  webhookUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .nullable()
    .optional()
    .describe('Also POST notifications here'),
  enabled: z.boolean().optional(),
};

export const CreateAlertRuleSchema = z
  .object({
    ...ruleFields,
    windowSeconds: ruleFields.windowSeconds.default(300),
  })
  .strict()
  .refine((r) => !(r.workflow && r.customerId), {
    message:
      'scope is the whole org, one workflow or one customer: give workflow or customerId, not both',
  });
export type CreateAlertRule = z.infer<typeof CreateAlertRuleSchema>;

export const UpdateAlertRuleSchema = z
  .object({
    ...ruleFields,
    rotateSigningSecret: z
      .boolean()
      .describe('Make a new webhook signing secret (shown once, in this answer)'),
  })
  .partial()
  .strict();
export type UpdateAlertRule = z.infer<typeof UpdateAlertRuleSchema>;

export const AlertRuleSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    condition: z.enum(ALERT_CONDITIONS),
    threshold: z.number(),
    windowSeconds: z.number().int(),
    scope: z.enum(['all', 'workflow', 'customer']),
    workflowId: IdSchema.nullable(),
    customerId: IdSchema.nullable(),
    webhookUrl: z.string().nullable(),
    enabled: z.boolean(),
    lastValue: z.number().nullable().describe('The value at the last evaluation (null: no data)'),
    lastEvaluatedAt: z.string().nullable(),
    openIncidentId: IdSchema.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    signingSecret: z
      .string()
      .optional()
      .describe(
        'Verifies webhook-signature on its notifications (Standard Webhooks); shown only when made',
      ),
  })
  .describe('A condition over executions that opens an incident above its threshold');
export type AlertRule = z.infer<typeof AlertRuleSchema>;

export const AlertIncidentSchema = z
  .object({
    id: IdSchema,
    ruleId: IdSchema,
    ruleName: z.string(),
    status: z.enum(['open', 'resolved']),
    openedAt: z.string(),
    openedValue: z.number(),
    peakValue: z.number(),
    resolvedAt: z.string().nullable(),
    resolvedValue: z.number().nullable(),
    notifiedAt: z.string().nullable().describe('When the opening was notified'),
  })
  .describe('A stretch of time a rule was above its threshold');
export type AlertIncident = z.infer<typeof AlertIncidentSchema>;

export const ListIncidentsQuerySchema = z
  .object({
    ruleId: IdSchema.optional(),
    status: z.enum(['open', 'resolved']).optional(),
    limit: LimitSchema,
  })
  .strict();
export type ListIncidentsQuery = z.infer<typeof ListIncidentsQuerySchema>;
