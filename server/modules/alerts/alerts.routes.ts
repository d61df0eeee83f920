import { z } from 'zod';
import { ErrorBodySchema, IdParamsSchema } from '../../domain/common.ts';
import {
  AlertIncidentSchema,
  AlertRuleSchema,
  CreateAlertRuleSchema,
  ListIncidentsQuerySchema,
  UpdateAlertRuleSchema,
} from '../../domain/alert.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import {
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  listAlertIncidents,
  listAlertRules,
  updateAlertRule,
} from './alerts.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Alerts'];

export function alertsRoutes(app: App, { db, keyring }: AppDeps): void {
  app.get('/alert-rules', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'List alert rules with their last value and open incident',
      response: { 200: z.object({ data: z.array(AlertRuleSchema) }), ...errors },
    },
    handler: async (request) => ({ data: await listAlertRules({ db, tenant: tenantOf(request) }) }),
  });

  app.post('/alert-rules', {
    config: { permission: 'settings:write' },
    schema: {
      tags,
      summary: 'Create an alert rule',
      body: CreateAlertRuleSchema,
      response: { 201: AlertRuleSchema, 404: ErrorBodySchema, 409: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(
          await createAlertRule({ db, keyring, tenant: tenantOf(request), input: request.body }),
        ),
  });

  app.get('/alert-rules/:id', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'Get an alert rule',
      params: IdParamsSchema,
      response: { 200: AlertRuleSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) => getAlertRule({ db, tenant: tenantOf(request), id: request.params.id }),
  });

  app.patch('/alert-rules/:id', {
    config: { permission: 'settings:write' },
    schema: {
      tags,
      summary: 'Change an alert rule',
      params: IdParamsSchema,
      body: UpdateAlertRuleSchema,
      response: { 200: AlertRuleSchema, 404: ErrorBodySchema, 409: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      updateAlertRule({
        db,
        keyring,
        tenant: tenantOf(request),
        id: request.params.id,
        input: request.body,
      }),
  });

  app.delete('/alert-rules/:id', {
    config: { permission: 'settings:write' },
    schema: {
      tags,
      summary: 'Delete an alert rule and its incidents',
      params: IdParamsSchema,
      response: { 204: z.null(), 404: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) => {
      await deleteAlertRule({ db, tenant: tenantOf(request), id: request.params.id });
      return reply.code(204).send(null);
    },
  });

  app.get('/alert-incidents', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'Incidents, newest first: when a rule went above its threshold and came back',
      querystring: ListIncidentsQuerySchema,
      response: { 200: z.object({ data: z.array(AlertIncidentSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await listAlertIncidents({ db, tenant: tenantOf(request), query: request.query }),
    }),
  });
}
