import { z } from 'zod';
import { IdSchema } from './common.ts';

export const USAGE_METRICS = ['executions', 'action_calls', 'agent_tokens'] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

export const MonthSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
  .describe('YYYY-MM (UTC)');

export const UsageQuerySchema = z
  .object({
    month: MonthSchema.optional(),
    customerId: IdSchema.optional(),
  })
  .strict();
export type UsageQuery = z.infer<typeof UsageQuerySchema>;

const counts = {
  executions: z.number().int().describe('Workflow executions started'),
  actionCalls: z.number().int().describe('Connector action calls made'),
  agentTokens: z.number().int().describe('Model tokens used by agent runs (in + out)'),
};

export const CustomerUsageSchema = z.object({
  customerId: IdSchema.nullable().describe('Null: work done for no customer'),
  ...counts,
  quotas: z
    .object({
      executions: z.number().int().nullable(),
      actionCalls: z.number().int().nullable(),
      agentTokens: z.number().int().nullable(),
    })
    .describe('Monthly limits set for the customer (null: none)'),
});
export type CustomerUsage = z.infer<typeof CustomerUsageSchema>;

export const UsageReportSchema = z
  .object({ month: z.string(), customers: z.array(CustomerUsageSchema) })
  .describe('Usage per customer in one month, the basis of quotas');
export type UsageReport = z.infer<typeof UsageReportSchema>;

export const SetQuotasSchema = z
  .object({
    executions: z.number().int().min(0).nullable().optional(),
    actionCalls: z.number().int().min(0).nullable().optional(),
    agentTokens: z.number().int().min(0).nullable().optional(),
  })
  .strict()
  .describe('Monthly limits; null removes one');
export type SetQuotas = z.infer<typeof SetQuotasSchema>;

export const QuotasSchema = z.object({
  customerId: IdSchema,
  executions: z.number().int().nullable(),
  actionCalls: z.number().int().nullable(),
  agentTokens: z.number().int().nullable(),
});
export type Quotas = z.infer<typeof QuotasSchema>;
