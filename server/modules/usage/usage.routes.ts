import { z } from 'zod';
import { ErrorBodySchema, IdSchema } from '../../domain/common.ts';
import {
  QuotasSchema,
  SetQuotasSchema,
  UsageQuerySchema,
  UsageReportSchema,
} from '../../domain/usage.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { getQuotas, getUsage, setQuotas } from './usage.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Usage and quotas'];
const CustomerParams = z.object({ customerId: IdSchema }).strict();

export function usageRoutes(app: App, { db }: AppDeps): void {
  app.get('/usage', {
    config: { permission: 'settings:read' },
    schema: {
      tags,
      summary: 'Executions, action calls and agent tokens per customer in a month',
      querystring: UsageQuerySchema,
      response: { 200: UsageReportSchema, ...errors },
    },
    handler: (request) => getUsage({ db, tenant: tenantOf(request), query: request.query }),
  });

  app.get('/customers/:customerId/quotas', {
    config: { permission: 'settings:read' },
    schema: {
      tags,
      summary: "A customer's monthly limits",
      params: CustomerParams,
      response: { 200: QuotasSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      getQuotas({ db, tenant: tenantOf(request), customerId: request.params.customerId }),
  });

  app.put('/customers/:customerId/quotas', {
    config: { permission: 'settings:write' },
    schema: {
      tags,
      summary: "Set a customer's monthly limits (null removes one)",
      params: CustomerParams,
      body: SetQuotasSchema,
      response: { 200: QuotasSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      setQuotas({
        db,
        tenant: tenantOf(request),
        customerId: request.params.customerId,
        input: request.body,
      }),
  });
}
