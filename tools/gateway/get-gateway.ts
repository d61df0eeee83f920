import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { GatewayOfferSchema } from '../../server/domain/gateway.ts';
import { getGatewayOffer } from '../../server/modules/gateway/gateway.service.ts';

export default defineTool({
  name: 'get_gateway',
  title: 'Show gateway tools',
  description:
    "What a customer's MCP gateway offers as tools: actions per connector (GET only until chosen) and workflows.",
  input: z.object({ customerId: z.uuid() }).strict(),
  output: GatewayOfferSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'customers:read',
  handler: (input, ctx) =>
    getGatewayOffer({ db: ctx.db, tenant: ctx.tenant, customerId: input.customerId }),
  summarize: (o) =>
    `${o.connectors.reduce((n, c) => n + c.offered.length, 0)} actions and ${o.workflows.length} workflows offered`,
});
