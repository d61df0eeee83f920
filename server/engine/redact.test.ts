import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuthMethod } from '../domain/connector.ts';
import { createRedactor, credentialSecrets, REDACTED } from './redact.ts';

const SECRET = 'sk_live/4f+e=9 d"8\\c?';
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const b64url = (text: string | Buffer) => Buffer.from(text).toString('base64url');

describe('createRedactor', () => {
  const redact = createRedactor([SECRET]);

  it.each([
    ['as it is', SECRET],
    ['percent-encoded', encodeURIComponent(SECRET)],
    [
      'percent-encoded, lower-case hex',
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    ],
    ['form-encoded', new URLSearchParams({ x: SECRET }).toString().slice(2)],
    ['percent-encoded twice', encodeURIComponent(encodeURIComponent(SECRET))],
    ['JSON-escaped', JSON.stringify(SECRET).slice(1, -1)],
    ['base64', b64(SECRET)],
    ['base64 without padding', b64(SECRET).replace(/=+$/, '')],
    ['base64url', b64url(SECRET)],
    ['base64, percent-encoded', encodeURIComponent(b64(SECRET).replace(/=+$/, ''))],
  ])('catches the secret %s', (_, form) => {
    expect(form).not.toBe(SECRET === form ? '' : SECRET);
    expect(redact(`before ${form} after`)).toBe(`before ${REDACTED} after`);
    expect(redact({ [form]: [form, { deep: `x${form}x` }] })).toEqual({
      [REDACTED]: [REDACTED, { deep: `x${REDACTED}x` }],
    });
  });

  it('catches a long secret inside a larger base64 or base64url blob, at any offset', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 11, maxLength: 64 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        (secret, before, after, url) => {
          const blob = Buffer.concat([before, Buffer.from(secret), after]);
          const encoded = url ? b64url(blob) : b64(blob);
          const redacted = createRedactor([secret])(encoded);
          expect(redacted).toContain(REDACTED);
          // What is left decodes to the surroundings, and at most two bytes of the secret at
          // each end: never the secret itself.
          const decoded = redacted
            .split(REDACTED)
            .map((part) => Buffer.from(part, url ? 'base64url' : 'base64'));
          for (const part of decoded) expect(part.includes(Buffer.from(secret))).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes base64 padding along with the value', () => {
    for (const secret of ['key-1234', 'key-123456']) {
      expect(b64(secret)).toMatch(/=$/);
      expect(createRedactor([secret])(`"${b64(secret)}"`)).toBe(`"${REDACTED}"`);
      expect(createRedactor([secret])(`?k=${encodeURIComponent(b64(secret))}&`)).toBe(
        `?k=${REDACTED}&`,
      );
    }
  });

  it('leaves short secrets, other values and non-plain objects alone', () => {
    expect(createRedactor(['abc'])('abc abc')).toBe('abc abc');
    const when = new Date(0);
    const out = redact({ when, n: 1, ok: true, none: null, buf: Buffer.from(SECRET) });
    expect(out.when).toBe(when);
    expect(out).toMatchObject({ n: 1, ok: true, none: null });
    expect(createRedactor([])('anything')).toBe('anything');
  });

  it('prefers the longest spelling where several start at one place', () => {
    const key = 'key-1234';
    const redactKey = createRedactor([key, `Bearer ${key}`]);
    expect(redactKey(b64(`Bearer ${key}`))).toBe(REDACTED);
    expect(redactKey(`Authorization: Bearer ${key}`)).toBe(`Authorization: ${REDACTED}`);
  });
});

describe('credentialSecrets', () => {
  const method = (m: Record<string, unknown>) => ({ key: 'm', ...m }) as unknown as AuthMethod;

  it('lists the secret fields and each credential as the request carries it', () => {
    expect(
      credentialSecrets(method({ type: 'basic' }), { username: 'ada', password: 'pass-1' }),
    ).toEqual(['pass-1', 'ada:pass-1', `Basic ${b64('ada:pass-1')}`]);
    expect(credentialSecrets(method({ type: 'bearer' }), { token: 't-1' })).toEqual([
      't-1',
      'Bearer t-1',
    ]);
    expect(
      credentialSecrets(method({ type: 'oauth2' }), { access_token: 'at', refresh_token: 'rt' }),
    ).toEqual(['at', 'rt', 'Bearer at']);
    expect(
      credentialSecrets(method({ type: 'api_key', in: 'cookie', name: 'sid', prefix: 'k ' }), {
        apiKey: 'v',
      }),
    ).toEqual(['v', 'k v', 'sid=k%20v']);
    expect(
      credentialSecrets(
        method({
          type: 'custom',
          fields: [
            { name: 'client_id', secret: false },
            { name: 'api_token', secret: true },
          ],
          headers: { Authorization: 'Token {{api_token}}', 'X-Client': '{{client_id}}' },
          query: { sig: '{{ api_token }}-{{client_id}}' },
        }),
        { client_id: 'public-id', api_token: 'tok' },
      ),
    ).toEqual(['tok', 'Token tok', 'tok-public-id']);
    expect(credentialSecrets(method({ type: 'none' }), null)).toEqual([]);
  });
});
