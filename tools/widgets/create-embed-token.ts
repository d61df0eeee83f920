import { defineTool } from '../define-tool.ts';
import { MintedTokenSchema, MintTokenSchema } from '../../server/domain/embed.ts';
import { mintToken } from '../../server/modules/embed/widgets.service.ts';
import { publicBase } from './base-url.ts';

export default defineTool({
  name: 'create_embed_token',
  title: 'Mint embed token',
  description:
    'Mints a short-lived token opening a widget for one customer, to try it (its url); your backend mints them with POST /api/v1/embed/tokens.',
  input: MintTokenSchema,
  output: MintedTokenSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'connections:create',
  handler: (input, ctx) =>
    mintToken({
      db: ctx.db,
      keyring: ctx.runtime.keyring,
      tenant: ctx.tenant,
      input,
      baseUrl: publicBase(ctx),
    }),
  summarize: (o) => `token ${o.jti} until ${o.expiresAt}`,
});
