import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { OAuthAppSchema, PutOAuthAppSchema } from '../../server/domain/connection.ts';
import { putOAuthApp } from '../../server/modules/connections/oauth.service.ts';

export default defineTool({
  name: 'set_oauth_app',
  title: 'Set OAuth app',
  description:
    'Stores your OAuth client (id, secret, optional URLs and scopes) for a connector, before start_oauth.',
  input: z.object({ connector: z.string().min(1).max(100), app: PutOAuthAppSchema }).strict(),
  output: OAuthAppSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'connectors:update',
  handler: (input, ctx) =>
    putOAuthApp({
      runtime: { ...ctx.runtime, db: ctx.db },
      tenant: ctx.tenant,
      connector: input.connector,
      input: input.app,
    }),
  summarize: (o) => `OAuth client ${o.clientId} saved`,
});
