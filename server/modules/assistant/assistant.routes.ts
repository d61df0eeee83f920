// The Setup Assistant over HTTP. Answers and event follow-ups are Server-Sent Events: each event
// carries `id:` = its seq in the session and `event:` = its type, so a standard EventSource
// resumes after a dropped connection with Last-Event-ID and gets each event exactly once. The
// session is checked (and a message accepted) before the stream opens, so a wrong id or a busy
// session is an ordinary JSON error. A client that goes away does not stop the turn.
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { ErrorBodySchema } from '../../domain/common.ts';
import {
  AssistantMessageSchema,
  AssistantSessionDetailSchema,
  AssistantSessionSchema,
  ListAssistantSessionsQuerySchema,
  SessionIdParamsSchema,
  type AssistantEvent,
} from '../../domain/assistant.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import {
  createAssistantHub,
  createSession,
  followEvents,
  getSession,
  listSessions,
  sendMessage,
  sessionPosition,
  type AssistantDeps,
} from './assistant.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Assistant'];
const SSE_DESCRIPTION =
  'text/event-stream: `id:` is the event seq, `event:` its type (user, text_delta, tool_activity, step, choices, handback, form, mapping_review, test_cases, checklist, turn_error, done), `data:` the event as JSON.';

async function stream(
  raw: ServerResponse,
  requestId: string,
  events: AsyncGenerator<AssistantEvent>,
  abort: AbortController,
): Promise<void> {
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-request-id': requestId,
  });
  // A quick reconnect: resuming is cheap and loses nothing.
  raw.write('retry: 500\n\n');
  raw.on('close', () => abort.abort());
  try {
    for await (const { seq, event } of events) {
      if (raw.destroyed) break;
      raw.write(`id: ${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    }
  } catch (error) {
    raw.write(
      `event: turn_error\ndata: ${JSON.stringify({ type: 'turn_error', message: 'stream failed' })}\n\n`,
    );
    throw error;
  } finally {
    raw.end();
  }
}

export function assistantRoutes(app: App, { db }: AppDeps, assistant: AssistantDeps): void {
  const hub = createAssistantHub();

  app.post('/assistant/sessions', {
    config: { permission: 'agents:execute' },
    schema: {
      tags,
      summary: 'Start a Setup Assistant session (yours: other users cannot see it)',
      response: { 201: z.object({ sessionId: z.string() }), ...errors },
    },
    handler: async (request, reply) =>
      reply.code(201).send(await createSession({ db, tenant: tenantOf(request), assistant })),
  });

  app.get('/assistant/sessions', {
    config: { permission: 'agents:read' },
    schema: {
      tags,
      summary: 'Your assistant sessions, most recently active first',
      querystring: ListAssistantSessionsQuerySchema,
      response: { 200: z.object({ data: z.array(AssistantSessionSchema) }), ...errors },
    },
    handler: (request) =>
      listSessions({ db, tenant: tenantOf(request), limit: request.query.limit }),
  });

  app.get('/assistant/sessions/:sessionId', {
    config: { permission: 'agents:read' },
    schema: {
      tags,
      summary: 'A session: its step state and every event so far (the history)',
      params: SessionIdParamsSchema,
      response: { 200: AssistantSessionDetailSchema, ...errors },
    },
    handler: (request) =>
      getSession({ db, tenant: tenantOf(request), id: request.params.sessionId }),
  });

  app.post('/assistant/sessions/:sessionId/messages', {
    config: { permission: 'agents:execute' },
    schema: {
      tags,
      summary: 'Send a message; the answer streams as Server-Sent Events until `done`',
      description: SSE_DESCRIPTION,
      params: SessionIdParamsSchema,
      body: AssistantMessageSchema,
      response: { 409: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) => {
      const tenant = tenantOf(request);
      const id = request.params.sessionId;
      const { afterSeq, turn } = await sendMessage({
        db,
        tenant,
        assistant,
        hub,
        id,
        message: request.body,
      });
      turn.catch((error: unknown) => request.log.error({ err: error }, 'assistant turn failed'));
      reply.hijack();
      const abort = new AbortController();
      await stream(
        reply.raw,
        request.id,
        followEvents({
          db,
          tenant,
          hub,
          id,
          after: afterSeq,
          untilDone: true,
          signal: abort.signal,
        }),
        abort,
      );
    },
  });

  app.get('/assistant/sessions/:sessionId/events', {
    config: { permission: 'agents:read' },
    schema: {
      tags,
      summary:
        'Follow a session: the events after Last-Event-ID (or ?after=), then new ones until the turn ends',
      description: SSE_DESCRIPTION,
      params: SessionIdParamsSchema,
      querystring: z.object({ after: z.coerce.number().int().min(0).optional() }).strict(),
      headers: z.looseObject({
        'last-event-id': z
          .string()
          .regex(/^\d{1,15}$/)
          .optional(),
      }),
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      const tenant = tenantOf(request);
      const id = request.params.sessionId;
      const position = await sessionPosition({ db, tenant, id });
      const header = request.headers['last-event-id'];
      const after = header === undefined ? (request.query.after ?? 0) : Number(header);
      // Nothing to replay and no turn running: 204 tells an EventSource not to reconnect.
      if (position.status !== 'running' && after >= position.lastSeq)
        return reply.code(204).send(null);
      reply.hijack();
      const abort = new AbortController();
      await stream(
        reply.raw,
        request.id,
        followEvents({ db, tenant, hub, id, after, signal: abort.signal }),
        abort,
      );
    },
  });
}
