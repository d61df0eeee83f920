import { z } from 'zod';
import { ErrorBodySchema } from '../../domain/common.ts';
import { GatewayOfferSchema, SetGatewayOfferSchema } from '../../domain/gateway.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { getGatewayOffer, setGatewayOffer } from './gateway.service.ts';

const errors = {
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Gateway'];
const Params = z.object({ customerId: z.uuid() }).strict();

export function gatewayRoutes(app: App, { db }: AppDeps): void {
  app.get('/customers/:customerId/gateway', {
    config: { permission: 'customers:read' },
    schema: {
      tags,
      summary:
        "What the customer's MCP gateway offers: actions per connector (GET only until chosen) and workflows",
      params: Params,
      response: { 200: GatewayOfferSchema, ...errors },
    },
    handler: (request) =>
      getGatewayOffer({ db, tenant: tenantOf(request), customerId: request.params.customerId }),
  });
  app.put('/customers/:customerId/gateway', {
    config: { permission: 'customers:write' },
    schema: {
      tags,
      summary: "Choose the actions (per connector) and workflows the customer's gateway offers",
      params: Params,
      body: SetGatewayOfferSchema,
      response: { 200: GatewayOfferSchema, ...errors },
    },
    handler: (request) =>
      setGatewayOffer({
        db,
        tenant: tenantOf(request),
        customerId: request.params.customerId,
        change: request.body,
      }),
  });
}
