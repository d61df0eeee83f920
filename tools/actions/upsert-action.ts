import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ActionInputSchema, ActionSchema } from '../../server/domain/connector.ts';
import { putAction } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'upsert_action',
  title: 'Create or replace action',
  description:
    'Creates an action on a connector, or replaces the one with its slug: method, path template, parameters (path, query, header, cookie, body), pagination.',
  input: z.object({ connector: z.string().min(1).max(100), action: ActionInputSchema }).strict(),
  output: ActionSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'connectors:update',
  handler: (input, ctx) =>
    putAction({ db: ctx.db, tenant: ctx.tenant, ref: input.connector, input: input.action }),
  summarize: (o) => `saved action ${o.slug}`,
});
