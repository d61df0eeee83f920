/** An outbound request, fully built (auth applied), before it is sent. */
export interface OutboundRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
  /** What redirects do with the credentials this request carries (see `RedirectRule`). */
  redirects?: RedirectRule | undefined;
}

/**
 * How redirects treat a request's credentials. Unset: a hop to another origin drops the
 * `authorization`, `cookie` and `proxy-authorization` headers, as browsers do (those three are
 * dropped on every hop to another origin, whatever the rule).
 */
export type RedirectRule =
  /**
   * Every hop starts again from `bare`, this request before the connection's credentials were
   * applied (headers, query parameters, cookies, body fields): `authorize` applies them again
   * while the hops stay on this request's origin, and nothing does once a hop leaves it.
   */
  | {
      readonly bare: OutboundRequest;
      readonly authorize: (request: OutboundRequest) => void;
    }
  /** The credentials are the request itself (a token request): another origin is refused. */
  | 'same-origin-only';

/** A copy that can be changed without touching the original. */
export function copyRequest(request: OutboundRequest): OutboundRequest {
  return { ...request, url: new URL(request.url), headers: { ...request.headers } };
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The URL that gave this answer: the request's own, or where its redirects led. */
  url: URL;
}

export interface SendOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal | undefined;
}

/** Sends one request: the guarded HTTP client in production, anything on loopback in tests. */
export type Send = (request: OutboundRequest, options: SendOptions) => Promise<OutboundResponse>;

/** A failure to get any response (refused, reset, timeout, too large, blocked). */
export class TransportError extends Error {
  readonly kind: 'network' | 'timeout' | 'too_large' | 'blocked';
  readonly retryable: boolean;
  constructor({
    kind,
    message,
    retryable,
  }: {
    kind: TransportError['kind'];
    message: string;
    retryable: boolean;
  }) {
    super(message);
    this.name = 'TransportError';
    this.kind = kind;
    this.retryable = retryable;
  }
}

/** A finished outbound call, for the trace. The URL carries no credentials. */
export interface Span {
  traceId: string;
  name: string;
  kind: 'action' | 'proxy' | 'token' | 'test';
  method: string;
  url: string;
  /** The headers sent, credentials masked to their prefix and last 4 characters. */
  requestHeaders?: Record<string, string>;
  status: number | null;
  durationMs: number;
  attempts: number;
  error: string | null;
  startedAt: Date;
}

export function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
