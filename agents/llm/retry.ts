// One retry loop for every provider: 429 and 5xx answers (and dropped connections) are retried
// with bounded attempts, waiting what the provider asked for (`retry-after-ms`, else
// `retry-after` in seconds or as a date) or an exponential backoff, never longer than
// `maxDelayMs`. The SDKs' own retries are switched off so these are the only ones: they are
// counted, bounded and testable. Each attempt runs under its own timeout, so a provider that
// hangs (before or during a stream) ends as a typed `timeout`.
import { headerValue, httpDetails, LlmError, scrub, type HeaderBag } from './errors.ts';

export interface RetryPolicy {
  /** Attempts in all, the first included (default 3). */
  readonly maxAttempts: number;
  /** Longest wait between attempts; a longer retry-after gives up instead (default 30 s). */
  readonly maxDelayMs: number;
  /** Backoff base when the provider gives no retry-after (default 500 ms). */
  readonly baseDelayMs: number;
  /** Timeout of one attempt, the whole stream included (default 120 s). */
  readonly timeoutMs: number;
  /** Waits between attempts; replaceable in tests. */
  readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  maxDelayMs: 30_000,
  baseDelayMs: 500,
  timeoutMs: 120_000,
  sleep: abortableSleep,
};

export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortedError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function abortedError(): LlmError {
  return new LlmError({ kind: 'aborted', message: 'the model call was cancelled' });
}

/** The wait a provider asked for, in ms, or undefined. */
export function retryAfterMs(headers: HeaderBag | undefined, now = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const after = headerValue(headers, 'retry-after');
  if (after === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(after.trim())) return Math.ceil(Number(after) * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface Classified {
  readonly error: LlmError;
  readonly retryable: boolean;
  readonly waitMs: number | undefined;
}

function classify({
  error,
  timedOut,
  aborted,
  timeoutMs,
  secrets,
  label,
}: {
  error: unknown;
  timedOut: boolean;
  aborted: boolean;
  timeoutMs: number;
  secrets: readonly (string | undefined)[];
  label: string;
}): Classified {
  if (error instanceof LlmError) return { error, retryable: false, waitMs: undefined };
  if (aborted) return { error: abortedError(), retryable: false, waitMs: undefined };
  const name = error instanceof Error ? error.constructor.name : '';
  if (timedOut || name === 'APIConnectionTimeoutError') {
    return {
      error: new LlmError({
        kind: 'timeout',
        message: `${label} did not answer within ${timeoutMs} ms`,
      }),
      retryable: false,
      waitMs: undefined,
    };
  }
  const { status, headers } = httpDetails(error);
  const raw = error instanceof Error ? error.message : String(error);
  const message = scrub(raw, secrets);
  if (status === 429) {
    return {
      error: new LlmError({
        kind: 'rate_limited',
        status,
        message: `${label} is rate limiting: ${message}`,
      }),
      retryable: true,
      waitMs: retryAfterMs(headers),
    };
  }
  if (status !== undefined) {
    return {
      error: new LlmError({
        kind: 'provider_error',
        status,
        message: `${label} answered ${status}: ${message}`,
      }),
      retryable: status >= 500 || status === 408 || status === 409,
      waitMs: retryAfterMs(headers),
    };
  }
  // No status: the connection failed (refused, reset) before an answer.
  return {
    error: new LlmError({ kind: 'provider_error', message: `${label} failed: ${message}` }),
    retryable: name === 'APIConnectionError',
    waitMs: undefined,
  };
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error occurs, or attempts run out. `attempt`
 * gets the signal to pass to the SDK (caller's cancellation + this attempt's timeout).
 */
export async function withRetries<T>({
  attempt,
  policy,
  signal,
  secrets,
  label,
}: {
  attempt: (signal: AbortSignal) => Promise<T>;
  policy: RetryPolicy;
  signal?: AbortSignal | undefined;
  secrets: readonly (string | undefined)[];
  label: string;
}): Promise<T> {
  for (let n = 1; ; n++) {
    if (signal?.aborted === true) throw abortedError();
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      return await attempt(combined);
    } catch (error) {
      const classified = classify({
        error,
        timedOut: timeout.aborted,
        aborted: isAborted(signal),
        timeoutMs: policy.timeoutMs,
        secrets,
        label,
      });
      const wait =
        classified.waitMs ?? Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      if (!classified.retryable || n >= policy.maxAttempts || wait > policy.maxDelayMs) {
        const e = classified.error;
        throw new LlmError({
          kind: e.kind,
          message:
            n > 1 || (classified.retryable && wait > policy.maxDelayMs)
              ? `${e.message} (gave up after ${n} attempt${n === 1 ? '' : 's'})`
              : e.message,
          ...(e.status === undefined ? {} : { status: e.status }),
          attempts: n,
        });
      }
      await policy.sleep(wait, signal);
    }
  }
}
