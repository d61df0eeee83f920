import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ActionSchema } from '../../server/domain/connector.ts';
import { getAction } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'get_action',
  title: 'Get action',
  description: 'One action with its parameters, input and output schemas and pagination.',
  input: z
    .object({
      connector: z.string().min(1).max(100),
      action: z.string().min(1).max(100),
    })
    .strict(),
  output: ActionSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: (input, ctx) =>
    getAction({ db: ctx.db, tenant: ctx.tenant, ref: input.connector, action: input.action }),
  summarize: (o) => `${o.slug}: ${o.method} ${o.path}`,
});
