import { request as undiciRequest, type Dispatcher } from 'undici';
import { TransportError, type OutboundResponse, type Send } from '../engine/types.ts';
import { SsrfError } from './ssrf.ts';

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

/**
 * The engine's `send` over undici and a guarded dispatcher: a whole-request timeout and a cap
 * on the response size (the body is read in chunks and abandoned past the cap).
 */
export function createHttpClient({ dispatcher }: { dispatcher: Dispatcher }): Send {
  return async (request, { timeoutMs, maxResponseBytes, signal }) => {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await undiciRequest(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        dispatcher,
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
      const response: OutboundResponse = {
        status: res.statusCode,
        headers,
        body: Buffer.concat(chunks, size),
      };
      return response;
    } catch (error) {
      throw classify(error, timedOut);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };
}
