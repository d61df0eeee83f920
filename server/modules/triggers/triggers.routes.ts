import { z } from 'zod';
import { ErrorBodySchema, IdParamsSchema, pageOf } from '../../domain/common.ts';
import {
  CreateTriggerSchema,
  ListEventsQuerySchema,
  SchedulePreviewRequestSchema,
  SchedulePreviewSchema,
  TriggerEventSchema,
  TriggerSchema,
  UpdateTriggerSchema,
} from '../../domain/trigger.ts';
import { ListWorkflowsQuerySchema } from '../../domain/workflow.ts';
import { tenantOf, type App } from '../../http/types.ts';
import { getEvent, listEvents, replayEvent } from './events.service.ts';
import type { EventRouter } from '../../runtime/event-router.ts';
import {
  createTrigger,
  deleteTrigger,
  getTrigger,
  listTriggers,
  previewSchedule,
  updateTrigger,
  type TriggerDeps,
} from './triggers.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};

export function triggersRoutes(
  app: App,
  deps: TriggerDeps,
  router: () => Promise<EventRouter>,
): void {
  const tags = ['Triggers'];

  app.get('/triggers', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'List triggers',
      querystring: ListWorkflowsQuerySchema,
      response: { 200: pageOf(TriggerSchema), ...errors },
    },
    handler: (request) =>
      listTriggers({ ...deps, tenant: tenantOf(request), query: request.query }),
  });

  app.post('/triggers', {
    config: { permission: 'workflows:create' },
    schema: {
      tags,
      summary: 'Create a webhook, scheduler or app-event trigger with its routes',
      description:
        'A webhook trigger answers with its URL, and with its generated secret once (API key or Standard Webhooks HMAC secret). An app-event trigger subscribes to the provider (or starts polling) at once.',
      body: CreateTriggerSchema,
      response: { 201: TriggerSchema, 404: ErrorBodySchema, 409: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await createTrigger({ ...deps, tenant: tenantOf(request), input: request.body })),
  });

  app.post('/triggers/schedule-preview', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'The next runs of a schedule (before saving it)',
      body: SchedulePreviewRequestSchema,
      response: { 200: SchedulePreviewSchema, ...errors },
    },
    handler: (request) => ({
      nextRuns: previewSchedule({
        config: { schedule: request.body.schedule, timezone: request.body.timezone },
        count: request.body.count,
      }),
    }),
  });

  app.get('/triggers/:id', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'Get a trigger',
      params: IdParamsSchema,
      response: { 200: TriggerSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) => getTrigger({ ...deps, tenant: tenantOf(request), id: request.params.id }),
  });

  app.get('/triggers/:id/preview', {
    config: { permission: 'workflows:read' },
    schema: {
      tags,
      summary: 'The next runs of a scheduler trigger',
      params: IdParamsSchema,
      querystring: z.object({ count: z.coerce.number().int().min(1).max(50).default(5) }).strict(),
      response: {
        200: SchedulePreviewSchema,
        404: ErrorBodySchema,
        ...errors,
      },
    },
    handler: async (request) => {
      const trigger = await getTrigger({
        ...deps,
        tenant: tenantOf(request),
        id: request.params.id,
      });
      if (!trigger.scheduler) return { nextRuns: [] };
      return {
        nextRuns: previewSchedule({ config: trigger.scheduler, count: request.query.count }),
      };
    },
  });

  app.patch('/triggers/:id', {
    config: { permission: 'workflows:update' },
    schema: {
      tags,
      summary: 'Update a trigger (routes given replace all routes)',
      params: IdParamsSchema,
      body: UpdateTriggerSchema,
      response: { 200: TriggerSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      updateTrigger({
        ...deps,
        tenant: tenantOf(request),
        id: request.params.id,
        input: request.body,
      }),
  });

  app.delete('/triggers/:id', {
    config: { permission: 'workflows:delete' },
    schema: {
      tags,
      summary: 'Delete a trigger (an app event unsubscribes from the provider first)',
      params: IdParamsSchema,
      response: { 204: z.null(), 404: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) => {
      await deleteTrigger({ ...deps, tenant: tenantOf(request), id: request.params.id });
      return reply.code(204).send(null);
    },
  });

  const eventTags = ['Events'];
  app.get('/events', {
    config: { permission: 'workflows:read' },
    schema: {
      tags: eventTags,
      summary: 'Received events (Activity → Events), newest first',
      querystring: ListEventsQuerySchema,
      response: { 200: pageOf(TriggerEventSchema), ...errors },
    },
    handler: (request) =>
      listEvents({ db: deps.db, tenant: tenantOf(request), query: request.query }),
  });

  app.get('/events/:id', {
    config: { permission: 'workflows:read' },
    schema: {
      tags: eventTags,
      summary: 'One received event with its verdict, matched routes and executions',
      params: IdParamsSchema,
      response: { 200: TriggerEventSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      getEvent({ db: deps.db, tenant: tenantOf(request), id: request.params.id }),
  });

  app.post('/events/:id/replay', {
    config: { permission: 'workflows:execute' },
    schema: {
      tags: eventTags,
      summary: 'Route an event again (a dead letter, or any event), creating new executions',
      params: IdParamsSchema,
      response: { 200: TriggerEventSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: async (request) =>
      replayEvent({
        db: deps.db,
        router: await router(),
        tenant: tenantOf(request),
        id: request.params.id,
      }),
  });
}
