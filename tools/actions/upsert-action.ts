import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ActionInputSchema, ActionSchema } from '../../server/domain/connector.ts';
import { putAction } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'upsert_action',
  title: 'Create or replace an action',
  description:
    'Creates an action on a connector, or replaces the one with the same slug: method, path template like /customers/{id}, parameters with their location (path, query, header, cookie, body), optional pagination. The input schema is derived from the parameters unless given. Next: run_action to test it.',
  input: z.object({ connector: z.string().min(1).max(100), action: ActionInputSchema }).strict(),
  output: ActionSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'connectors:write',
  handler: (input, ctx) =>
    putAction({ db: ctx.db, tenant: ctx.tenant, ref: input.connector, input: input.action }),
  summarize: (o) => `saved action ${o.slug}`,
});
