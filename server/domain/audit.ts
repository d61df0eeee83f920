import { z } from 'zod';
import { CursorSchema, IdSchema, LimitSchema } from './common.ts';

export const AuditEntrySchema = z.object({
  id: z.string(),
  customerId: z.string().nullable(),
  actorType: z.string().describe('api_key, user, agent, system or cli'),
  actorId: z.string().nullable(),
  actorLabel: z.string().nullable(),
  actorUserId: z.string().nullable().describe('The person the actor works for (a key owner)'),
  action: z.string().describe('A dotted name such as workflow.publish'),
  resourceType: z.string(),
  resourceId: z.string().nullable(),
  requestId: z.string().nullable(),
  mode: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type AuditEntryView = z.infer<typeof AuditEntrySchema>;

const Text = z.string().min(1).max(200);

export const AuditQuerySchema = z
  .object({
    actorType: z.enum(['api_key', 'user', 'agent', 'system', 'cli']).optional(),
    actor: Text.optional().describe('A key, user or agent run id'),
    userId: IdSchema.optional().describe("A person, with their keys' actions"),
    action: Text.optional().describe('workflow.publish, or a prefix like workflow.'),
    resourceType: Text.optional(),
    resource: Text.optional(),
    customerId: IdSchema.optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    cursor: CursorSchema,
    limit: LimitSchema,
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AuditRetentionSchema = z.object({
  days: z.number().int().min(30).max(3650).describe('Days entries are kept'),
});
export type AuditRetention = z.infer<typeof AuditRetentionSchema>;
