import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { OAuthStartSchema } from '../../server/domain/connection.ts';
import { startAuthorization } from '../../server/modules/connections/oauth.service.ts';

export default defineTool({
  name: 'start_oauth',
  title: 'Start OAuth',
  description:
    'Starts an OAuth 2.0 code flow (PKCE) for a customer, or re-authorizes an expired connection; answers the URL to send the user to.',
  input: z
    .object({
      connector: z.string().min(1).max(100).optional(),
      customerId: z.uuid().nullable().default(null),
      connectionId: z.uuid().optional(),
      redirectUri: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe("Default: this server's /api/v1/oauth/callback"),
      returnUrl: z.url({ protocol: /^https?$/ }).optional(),
    })
    .strict(),
  output: OAuthStartSchema,
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  write: true,
  permission: 'connections:create',
  handler: (input, ctx) =>
    startAuthorization({
      runtime: { ...ctx.runtime, db: ctx.db },
      tenant: ctx.tenant,
      connector: input.connector,
      customerId: input.customerId,
      connectionId: input.connectionId,
      redirectUri:
        input.redirectUri ??
        `${ctx.config.publicUrl ?? `http://${ctx.config.host}:${ctx.config.port}`}/api/v1/oauth/callback`,
      returnUrl: input.returnUrl ?? null,
    }),
  summarize: (o) => `send the user to ${o.url}`,
});
