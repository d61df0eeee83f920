import {
  TransportError,
  type OutboundRequest,
  type OutboundResponse,
  type Send,
  type SendOptions,
} from './types.ts';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server asking to wait longer than this gets no retry: the caller sees the 429/503. */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxWaitMs: 60_000,
};

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Seconds or an HTTP date in Retry-After; a reset time in X-RateLimit-Reset (epoch or delta). */
export function waitFromHeaders(headers: Record<string, string>, now: number): number | null {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const remaining = headers['x-ratelimit-remaining'];
  const reset = headers['x-ratelimit-reset'];
  if (remaining === '0' && reset !== undefined) {
    const value = Number(reset);
    if (Number.isFinite(value)) {
      // Big numbers are epoch seconds; small ones are seconds from now.
      return value > 1e9 ? Math.max(0, value * 1000 - now) : value * 1000;
    }
  }
  return null;
}

export interface AttemptOutcome {
  response: OutboundResponse;
  attempts: number;
}

export interface RetryHooks {
  /** Called before every attempt: the shared rate budget waits here. */
  beforeAttempt?: () => Promise<void>;
  /** The server asked everyone to slow down until `untilMs`. */
  onThrottled?: (untilMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends with retries on 429, 5xx and network errors, honouring Retry-After and X-RateLimit-*
 * and otherwise backing off exponentially with full jitter. Requests that are not idempotent
 * (POST, PATCH) are retried only when the server cannot have acted on them: a 429, or a
 * connection that failed before a response.
 */
export async function sendWithRetry({
  send,
  request,
  options,
  policy = DEFAULT_RETRY,
  hooks = {},
}: {
  send: Send;
  request: OutboundRequest;
  options: SendOptions;
  policy?: RetryPolicy;
  hooks?: RetryHooks;
}): Promise<AttemptOutcome> {
  const sleep = hooks.sleep ?? defaultSleep;
  const now = hooks.now ?? Date.now;
  const random = hooks.random ?? Math.random;
  const idempotent = IDEMPOTENT.has(request.method);
  for (let attempt = 1; ; attempt++) {
    await hooks.beforeAttempt?.();
    let response: OutboundResponse | undefined;
    let failure: TransportError | undefined;
    try {
      response = await send(request, options);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      failure = error;
    }
    const last = attempt >= policy.maxAttempts;
    const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * random();
    if (failure) {
      // A timeout may have reached the server: only idempotent requests are retried then.
      const safe = failure.retryable && (idempotent || failure.kind === 'network');
      if (last || !safe) throw failure;
      await sleep(backoff);
      continue;
    }
    const res = response as OutboundResponse;
    const status = res.status;
    const retryable =
      status === 429 || (status >= 500 && status <= 599 && (idempotent || status === 503));
    if (!retryable || last) return { response: res, attempts: attempt };
    const asked = waitFromHeaders(res.headers, now());
    if (asked !== null) {
      if (asked > policy.maxWaitMs) return { response: res, attempts: attempt };
      if (status === 429 || status === 503) hooks.onThrottled?.(now() + asked);
      await sleep(asked + random() * 50);
    } else {
      if (status === 503 && !idempotent) return { response: res, attempts: attempt };
      await sleep(backoff);
    }
  }
}
