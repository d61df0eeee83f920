/**
 * The one way discovery reaches the network: `guardedFetch` (the SSRF guard) with a time limit
 * and a byte cap per request. Unlike the spec loader's `fetchText`, an answer over the cap is
 * cut, not refused (a probe wants a sample), and any status comes back (a 401 is information).
 *
 * Callers pass a `DiscoveryFetch`, so the library never builds its own dispatcher: the tools
 * make one from the instance config (`withDiscoveryFetch`), tests from an allowlist.
 */
import type { Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { createGuardedDispatcher, guardedFetch, guardSettings, SsrfError } from '../net/ssrf.ts';

/** Default time for one request, headers and body (ms). */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface FetchRequest {
  readonly url: string;
  readonly method?: 'GET' | 'HEAD' | 'OPTIONS';
  readonly headers?: Readonly<Record<string, string>>;
  /** Bytes of body kept; the rest is not read. */
  readonly maxBytes: number;
  readonly timeoutMs?: number;
  /** `manual` answers a redirect as it is (a probe reports it); `follow` by default. */
  readonly redirect?: 'follow' | 'manual';
}

export interface FetchedResponse {
  /** The URL that answered (after redirects). */
  readonly url: string;
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly truncated: boolean;
  readonly durationMs: number;
}

export type DiscoveryFetch = (request: FetchRequest) => Promise<FetchedResponse>;

/** A request that got no answer: refused by the guard, unreachable, or too slow. */
export class FetchFailure extends Error {
  readonly kind: 'blocked' | 'network' | 'timeout';
  constructor({ kind, message }: { kind: FetchFailure['kind']; message: string }) {
    super(message);
    this.name = 'FetchFailure';
    this.kind = kind;
  }
}

function failureOf(error: unknown, timedOut: boolean): FetchFailure {
  if (error instanceof FetchFailure) return error;
  if (error instanceof SsrfError)
    return new FetchFailure({ kind: 'blocked', message: error.message });
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof SsrfError)
    return new FetchFailure({ kind: 'blocked', message: cause.message });
  if (timedOut) return new FetchFailure({ kind: 'timeout', message: 'no answer in time' });
  const code =
    (cause as { code?: string } | undefined)?.code ?? (error as { code?: string }).code ?? '';
  return new FetchFailure({
    kind: 'network',
    message: code === '' ? 'could not connect' : `could not connect (${code})`,
  });
}

/** A `DiscoveryFetch` over a guarded dispatcher. */
export function createDiscoveryFetch({ dispatcher }: { dispatcher: Dispatcher }): DiscoveryFetch {
  return async ({ url, method = 'GET', headers = {}, maxBytes, timeoutMs, redirect }) => {
    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      const response = await guardedFetch(
        url,
        { method, headers, signal: controller.signal, redirect: redirect ?? 'follow' },
        { dispatcher },
      );
      const chunks: Uint8Array[] = [];
      let size = 0;
      let truncated = false;
      const reader = response.body?.getReader() as
        ReadableStreamDefaultReader<Uint8Array> | undefined;
      if (reader !== undefined) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const room = maxBytes - size;
          if (value.byteLength > room) {
            chunks.push(value.subarray(0, room));
            size = maxBytes;
            truncated = true;
            await reader.cancel();
            break;
          }
          chunks.push(value);
          size += value.byteLength;
        }
      }
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        responseHeaders[name.toLowerCase()] = value;
      });
      return {
        url: response.url === '' ? url : response.url,
        status: response.status,
        headers: responseHeaders,
        body: Buffer.concat(chunks, size),
        truncated,
        durationMs: performance.now() - started,
      };
    } catch (error) {
      throw failureOf(error, timedOut);
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Runs `fn` with a `DiscoveryFetch` over a dispatcher made from the instance's guard settings
 * (its egress allowlist; the test allowlist in tests), closed afterwards.
 */
export async function withDiscoveryFetch<T>({
  config,
  fn,
}: {
  config: Pick<Config, 'env' | 'ssrfTestAllowlist' | 'egressAllow'>;
  fn: (fetch: DiscoveryFetch) => Promise<T>;
}): Promise<T> {
  const dispatcher = createGuardedDispatcher(guardSettings(config));
  try {
    return await fn(createDiscoveryFetch({ dispatcher }));
  } finally {
    await dispatcher.close();
  }
}

/** The failure of a single user-named fetch, as the expected error a tool answers with. */
export function fetchError({ error, url }: { error: unknown; url: string }): unknown {
  if (!(error instanceof FetchFailure)) return error;
  const origin = new URL(url).origin;
  if (error.kind === 'blocked')
    return new AppError('bad_request', error.message, { reason: 'ssrf_blocked' });
  return new AppError('upstream_error', `could not fetch ${origin}: ${error.message}`);
}

/** Runs `fn` over `items` with at most `limit` at a time, results in input order. */
export async function mapLimit<T, R>({
  items,
  limit,
  fn,
}: {
  items: readonly T[];
  limit: number;
  fn: (item: T) => Promise<R>;
}): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
