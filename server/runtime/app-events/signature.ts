// Checks the signature a provider puts on an event it delivers, as the connector's event
// declares it. Every comparison of a digest is timing-safe; nothing here logs or returns the
// secret.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ConnectorEvent } from '../../domain/connector.ts';

export type EventSignature = NonNullable<ConnectorEvent['signature']>;
export type Verification = { ok: true } | { ok: false; reason: string };

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function header(headers: Headers, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (typeof value === 'string') values.push(value);
    else values.push(...value);
  }
  return values;
}

function decode(text: string, encoding: 'hex' | 'base64'): Buffer | null {
  if (encoding === 'hex')
    return HEX.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : null;
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  // The length of a digest is public (it follows from the algorithm).
  return a.length === b.length && timingSafeEqual(a, b);
}

function bytesOf(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
}

/** `whsec_<base64>` or bare base64 is the key's bytes (as Standard Webhooks libraries read it). */
function standardWebhooksKey(secret: string): Buffer {
  const bare = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  return BASE64.test(bare) ? Buffer.from(bare, 'base64') : Buffer.from(bare, 'utf8');
}

/**
 * Verifies an inbound event against its connector's `signature` declaration.
 *
 * - `hmac-sha256` / `hmac-sha1`: HMAC of the raw body with the secret (UTF-8) as key, in
 *   `signature.header`, after `signature.prefix` when one is declared (e.g. `sha256=`), as hex
 *   or base64. A header may carry several comma-separated signatures (secret rotation): one
 *   match is enough.
 * - `standard-webhooks`: `webhook-id`, `webhook-timestamp` and `webhook-signature`
 *   (`v1,<base64>` entries separated by spaces) over `id.timestamp.body`, with the secret as
 *   `whsec_<base64>`; the timestamp must be within `toleranceSeconds` of `now`. The `svix-`
 *   spellings of the headers are accepted too.
 * - `none`, or no declaration: nothing to verify (`ok`). Whether unsigned events are acceptable
 *   is the caller's decision.
 *
 * `rawBody` must be the bytes as received: a re-serialized JSON body will not verify.
 */
export function verifyEventSignature({
  signature,
  secret,
  headers,
  rawBody,
  now = Date.now(),
  toleranceSeconds = 300,
}: {
  signature: EventSignature | undefined;
  secret: string | null;
  headers: Headers;
  rawBody: string | Uint8Array;
  /** The clock, in ms since the epoch. */
  now?: number;
  toleranceSeconds?: number;
}): Verification {
  if (signature === undefined || signature.scheme === 'none') return { ok: true };
  if (secret === null || secret === '')
    return { ok: false, reason: 'no signing secret for this event (check secretField)' };
  const body = bytesOf(rawBody);
  switch (signature.scheme) {
    case 'hmac-sha256':
    case 'hmac-sha1': {
      if (signature.header === undefined)
        return { ok: false, reason: 'the event declares no signature header' };
      const sent = header(headers, signature.header);
      if (sent.length === 0) return { ok: false, reason: `no ${signature.header} header` };
      const algorithm = signature.scheme === 'hmac-sha256' ? 'sha256' : 'sha1';
      const expected = createHmac(algorithm, secret).update(body).digest();
      const prefix = signature.prefix ?? '';
      const candidates = sent.flatMap((v) => v.split(',')).map((v) => v.trim());
      for (const candidate of candidates) {
        if (!candidate.startsWith(prefix)) continue;
        const given = decode(candidate.slice(prefix.length), signature.encoding);
        if (given !== null && sameBytes(given, expected)) return { ok: true };
      }
      return { ok: false, reason: 'signature mismatch' };
    }
    case 'standard-webhooks': {
      const first = (name: string): string | undefined =>
        header(headers, `webhook-${name}`)[0] ?? header(headers, `svix-${name}`)[0];
      const id = first('id');
      const timestamp = first('timestamp');
      const sent = first('signature');
      if (id === undefined || timestamp === undefined || sent === undefined)
        return {
          ok: false,
          reason: 'missing webhook-id, webhook-timestamp or webhook-signature header',
        };
      if (!/^\d{1,12}$/.test(timestamp))
        return { ok: false, reason: 'webhook-timestamp is not a Unix time in seconds' };
      if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds)
        return { ok: false, reason: 'webhook-timestamp is outside the tolerance' };
      const expected = createHmac('sha256', standardWebhooksKey(secret))
        .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]))
        .digest();
      for (const entry of sent.split(' ')) {
        const comma = entry.indexOf(',');
        if (comma === -1 || entry.slice(0, comma) !== 'v1') continue;
        const given = decode(entry.slice(comma + 1), 'base64');
        if (given !== null && sameBytes(given, expected)) return { ok: true };
      }
      return { ok: false, reason: 'signature mismatch' };
    }
  }
}
