import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import {
  AppEventConfigSchema,
  CreateTriggerSchema,
  RouteInputSchema,
  SchedulerConfigSchema,
  TRIGGER_TYPES,
  TriggerSchema,
  WebhookConfigSchema,
} from '../../server/domain/trigger.ts';
import { AppError } from '../../server/errors.ts';
import { createTrigger } from '../../server/modules/triggers/triggers.service.ts';

// One flat object for MCP clients (tool inputs must be objects); checked as the API checks it.
const Input = z
  .object({
    type: z.enum(TRIGGER_TYPES),
    name: z.string().trim().min(1).max(255),
    description: z.string().max(4096).optional(),
    status: z.enum(['active', 'inactive']).optional(),
    routes: z.array(RouteInputSchema).max(50).default([]),
    webhook: WebhookConfigSchema.optional(),
    secret: z.string().min(16).max(256).optional().describe('Webhook API key or HMAC secret'),
    scheduler: SchedulerConfigSchema.optional().describe("type 'scheduler' (required)"),
    appEvent: AppEventConfigSchema.optional().describe("type 'app_event' (required)"),
  })
  .strict();

export default defineTool({
  name: 'create_trigger',
  title: 'Create trigger',
  description:
    "Creates a trigger whose routes start workflows (each with an optional JSONata filter): webhook (public URL; auth none, api_key or hmac), scheduler, or app_event (a connection's event).",
  input: Input,
  output: TriggerSchema,
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  write: true,
  external: true,
  permission: 'workflows:create',
  handler: (input, ctx) => {
    const parsed = CreateTriggerSchema.safeParse(input);
    if (!parsed.success) {
      throw new AppError(
        'validation_failed',
        parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '),
      );
    }
    return createTrigger({ ...ctx.triggers, tenant: ctx.tenant, input: parsed.data });
  },
  summarize: (o) =>
    `created ${o.type} trigger ${o.name} (${o.id})${o.webhook ? ` at ${o.webhook.url}` : ''}${o.secret ? '; its secret is shown this once' : ''}`,
});
