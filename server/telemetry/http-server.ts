import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  contextFromHeaders,
  SpanKind,
  startSpan,
  withContext,
  type TraceContext,
  type TraceSpan,
} from './tracing.ts';

interface RequestTrace {
  readonly context: TraceContext;
  readonly end: () => void;
}

function endRequestSpan(span: TraceSpan, response: ServerResponse): void {
  const status = response.statusCode;
  span.setAttribute('http.response.status_code', status);
  if (!response.writableFinished && !response.headersSent) span.fail('aborted');
  else if (status >= 500) span.fail(String(status));
}

/**
 * One SERVER span per request (HTTP semantic conventions), a child of the caller's `traceparent`
 * when it sends one, active while the route runs so that what the route does (a workflow run, an
 * upstream call) nests under it. The span ends when the response is finished or the connection
 * closes, which also covers the responses the MCP endpoints write themselves.
 */
export function traceRequests(app: FastifyInstance): void {
  const traces = new WeakMap<FastifyRequest, RequestTrace>();

  app.addHook('onRequest', (request, reply, done) => {
    const method = request.method;
    const route = request.routeOptions.url;
    const userAgent = request.headers['user-agent'];
    const started = startSpan({
      name: route === undefined ? method : `${method} ${route}`,
      kind: SpanKind.SERVER,
      parent: contextFromHeaders(request.headers),
      attributes: {
        'http.request.method': method,
        // The path only: a query may carry a key (`?api_key=` on the MCP endpoints).
        'url.path': request.url.split('?', 1)[0] ?? '/',
        'url.scheme': request.protocol,
        'client.address': request.ip,
        ...(route !== undefined && { 'http.route': route }),
        ...(typeof userAgent === 'string' && { 'user_agent.original': userAgent }),
      },
    });
    if (!started) {
      done();
      return;
    }
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      endRequestSpan(started.span, reply.raw);
      started.end();
    };
    traces.set(request, { context: started.context, end });
    reply.raw.once('close', end);
    withContext(started.context, done);
  });

  app.addHook('onResponse', (request, _reply, done) => {
    traces.get(request)?.end();
    done();
  });

  // The body is parsed outside the request's async context (stream events): enter it again.
  app.addHook('preHandler', (request, _reply, done) => {
    const found = traces.get(request);
    if (found) withContext(found.context, done);
    else done();
  });
}
