import { defineTool } from '../define-tool.ts';
import { GatewayOfferSchema, SetGatewayOfferSchema } from '../../server/domain/gateway.ts';
import { setGatewayOffer } from '../../server/modules/gateway/gateway.service.ts';
import { z } from 'zod';

export default defineTool({
  name: 'update_gateway',
  title: 'Choose gateway tools',
  description:
    "Chooses the actions and workflows a customer's gateway offers (writes only once chosen).",
  input: SetGatewayOfferSchema.extend({ customerId: z.uuid() }).strict(),
  output: GatewayOfferSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'customers:write',
  handler: ({ customerId, ...change }, ctx) =>
    setGatewayOffer({ db: ctx.db, tenant: ctx.tenant, customerId, change }),
  summarize: (o) =>
    `${o.connectors.reduce((n, c) => n + c.offered.length, 0)} actions and ${o.workflows.length} workflows offered`,
});
