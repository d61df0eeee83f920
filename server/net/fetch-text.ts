import type { Dispatcher } from 'undici';
import { AppError } from '../errors.ts';
import { guardedFetch, SsrfError } from './ssrf.ts';

/**
 * Fetches a document a user pointed at (a spec URL, a remote `$ref`) through the SSRF guard,
 * with a time limit and a size cap, as text.
 */
export function createFetchText({
  dispatcher,
  timeoutMs = 30_000,
  maxBytes = 50 * 1024 * 1024,
}: {
  dispatcher: Dispatcher;
  timeoutMs?: number;
  maxBytes?: number;
}): (url: string) => Promise<string> {
  return async (url) => {
    let response: Response;
    try {
      response = await guardedFetch(
        url,
        {
          signal: AbortSignal.timeout(timeoutMs),
          headers: { accept: 'application/json, application/yaml, text/yaml, */*' },
        },
        { dispatcher },
      );
    } catch (error) {
      // Say which guard refused and what works instead: the agent cannot see our config.
      if (error instanceof SsrfError)
        throw new AppError(
          'bad_request',
          `the SSRF guard refused ${new URL(url).origin} (${error.message}): Weft fetches only public http(s) addresses unless WEFT_EGRESS_ALLOW lists the host; hand the spec over with create_spec { text }, or upload_spec { path } in weft mcp, then import { specId }`,
          { guard: 'ssrf', host: new URL(url).host },
        );
      throw new AppError(
        'bad_request',
        `could not fetch ${new URL(url).origin}: ${(error as Error).message}`,
      );
    }
    if (!response.ok)
      throw new AppError(
        'bad_request',
        `fetching ${new URL(url).origin}${new URL(url).pathname} answered ${response.status}`,
      );
    const reader = response.body?.getReader() as
      ReadableStreamDefaultReader<Uint8Array> | undefined;
    if (!reader) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new AppError(
          'payload_too_large',
          `the document at ${new URL(url).origin} is larger than ${maxBytes} bytes`,
        );
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  };
}
