import { request as undiciRequest, type Dispatcher } from 'undici';
import {
  copyRequest,
  TransportError,
  type OutboundRequest,
  type OutboundResponse,
  type Send,
} from '../engine/types.ts';
import { SsrfError } from './ssrf.ts';
import { injectTraceHeaders, inSpan, SpanKind } from '../telemetry/tracing.ts';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Dropped on every hop to another origin, whatever the request's redirect rule says. */
const CROSS_ORIGIN_DROPPED = new Set(['authorization', 'cookie', 'proxy-authorization']);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function classify(error: unknown, timedOut: boolean): TransportError {
  if (error instanceof TransportError) return error;
  if (error instanceof SsrfError)
    return new TransportError({ kind: 'blocked', message: error.message, retryable: false });
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof SsrfError)
    return new TransportError({ kind: 'blocked', message: cause.message, retryable: false });
  const code =
    (error as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code ?? '';
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TransportError({
      kind: 'timeout',
      message: 'the API did not answer in time',
      retryable: true,
    });
  }
  if (NETWORK_CODES.has(code)) {
    return new TransportError({
      kind: 'network',
      message: `could not reach the API (${code})`,
      retryable: code !== 'ENOTFOUND',
    });
  }
  return new TransportError({
    kind: 'network',
    message: 'the connection to the API failed',
    retryable: true,
  });
}

/** Where a redirect answer points, if it is one this client follows. */
function redirectTarget(response: OutboundResponse, from: URL): URL | null {
  const location = response.headers['location'];
  if (!REDIRECT_STATUSES.has(response.status) || location === undefined) return null;
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    return null;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return null;
  target.username = '';
  target.password = '';
  target.hash = '';
  return target;
}

/**
 * The request a redirect asks for (RFC 9110 §15.4, as the fetch standard applies it): a 303, and
 * a 301 or 302 answering a POST, become a GET without a body; 307 and 308 keep both.
 */
function redirected({
  request,
  status,
  target,
}: {
  request: OutboundRequest;
  status: number;
  target: URL;
}): OutboundRequest {
  const toGet =
    status === 303 ? request.method !== 'HEAD' : status <= 302 && request.method === 'POST';
  const headers = { ...request.headers };
  if (!toGet) return { method: request.method, url: new URL(target), headers, body: request.body };
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase().startsWith('content-')) delete headers[name];
  }
  return { method: 'GET', url: new URL(target), headers };
}

/**
 * The engine's `send` over undici and a guarded dispatcher: one timeout for the whole call,
 * redirects included, and a cap on each response's size (the body is read in chunks and
 * abandoned past the cap). Redirects (up to 5) are followed here rather than by undici, so that a
 * request's credentials go only where its `redirects` rule allows: never to another origin.
 */
export function createHttpClient({ dispatcher }: { dispatcher: Dispatcher }): Send {
  // The guarded dispatcher follows redirects for its other users; here every hop comes back.
  const direct = dispatcher.compose((dispatch) => (options, handler) => {
    const noRedirects = { ...options, maxRedirections: 0 };
    return dispatch(noRedirects, handler);
  });
  return async (request, { timeoutMs, maxResponseBytes, signal }) => {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });

    // One CLIENT span per request sent (each retry and redirect hop), its `traceparent` sent along.
    const once = (hop: OutboundRequest): Promise<OutboundResponse> =>
      inSpan({
        name: hop.method,
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': hop.method,
          // Without the query: credentials may be placed there.
          'url.full': `${hop.url.origin}${hop.url.pathname}`,
          'server.address': hop.url.hostname,
          'server.port': Number(hop.url.port || (hop.url.protocol === 'https:' ? 443 : 80)),
        },
        run: async (span) => {
          const response = await sendOnce(hop);
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 400) span.fail(String(response.status));
          return response;
        },
      });

    const sendOnce = async (hop: OutboundRequest): Promise<OutboundResponse> => {
      const sentHeaders = { ...hop.headers };
      injectTraceHeaders(sentHeaders);
      const res = await undiciRequest(hop.url, {
        method: hop.method,
        headers: sentHeaders,
        body: hop.body ?? null,
        dispatcher: direct,
        signal: controller.signal,
      });
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxResponseBytes) {
        res.body.destroy();
        throw new TransportError({
          kind: 'too_large',
          message: `the response is larger than ${maxResponseBytes} bytes`,
          retryable: false,
        });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buffer = chunk as Buffer;
        size += buffer.length;
        if (size > maxResponseBytes) {
          res.body.destroy();
          throw new TransportError({
            kind: 'too_large',
            message: `the response is larger than ${maxResponseBytes} bytes`,
            retryable: false,
          });
        }
        chunks.push(buffer);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined)
          headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      return {
        status: res.statusCode,
        headers,
        body: Buffer.concat(chunks, size),
        url: new URL(hop.url),
      };
    };

    const rule = request.redirects;
    const credentialed = typeof rule === 'object' ? rule : null;
    // Query parameters the credentials added: a Location that repeats one to another origin
    // (a redirect that copies the query string) loses it.
    const credentialParams = credentialed
      ? [...request.url.searchParams].filter(
          ([name, value]) => !credentialed.bare.url.searchParams.has(name, value),
        )
      : [];
    try {
      let sent = request;
      let plain = credentialed?.bare ?? request;
      let onOrigin = true;
      for (let hop = 0; ; hop++) {
        const response = await once(sent);
        const target = hop < MAX_REDIRECTS ? redirectTarget(response, sent.url) : null;
        if (target === null) return response;
        onOrigin &&= target.origin === request.url.origin;
        if (!onOrigin && rule === 'same-origin-only') {
          throw new TransportError({
            kind: 'blocked',
            message: `the API redirected to another origin (${target.origin}); not followed, because the request carries credentials`,
            retryable: false,
          });
        }
        if (credentialed === null) {
          sent = redirected({ request: sent, status: response.status, target });
        } else {
          // Every hop starts from the request without credentials; they go back on only at home.
          plain = redirected({ request: plain, status: response.status, target });
          sent = copyRequest(plain);
          if (onOrigin) credentialed.authorize(sent);
          else
            for (const [name, value] of credentialParams) sent.url.searchParams.delete(name, value);
        }
        if (!onOrigin) {
          for (const name of Object.keys(sent.headers)) {
            if (CROSS_ORIGIN_DROPPED.has(name.toLowerCase())) delete sent.headers[name];
          }
        }
      }
    } catch (error) {
      throw classify(error, timedOut);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };
}
