import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyEventSignature, type EventSignature } from './signature.ts';

const body = '{"id":"evt_1","event":"item.created"}';
const hmac = (algorithm: string, secret: string, text: string) =>
  createHmac(algorithm, secret).update(text);

describe('verifyEventSignature', () => {
  const sha256: EventSignature = {
    scheme: 'hmac-sha256',
    header: 'X-Signature',
    prefix: 'sha256=',
    encoding: 'hex',
  };

  it('hmac-sha256, hex with a prefix: accepts the right digest in any header case', () => {
    const digest = hmac('sha256', 'k', body).digest('hex');
    const headers = { 'x-signature': `sha256=${digest}` };
    expect(
      verifyEventSignature({ signature: sha256, secret: 'k', headers, rawBody: body }),
    ).toEqual({ ok: true });
    expect(
      verifyEventSignature({
        signature: sha256,
        secret: 'k',
        headers: { 'X-SIGNATURE': `sha256=${digest.toUpperCase()}` },
        rawBody: Buffer.from(body),
      }),
    ).toEqual({ ok: true });
    // Without the declared prefix, or with another secret, or another body: refused.
    for (const [secret, headerValue, raw] of [
      ['k', digest, body],
      ['other', `sha256=${digest}`, body],
      ['k', `sha256=${digest}`, `${body} `],
      ['k', `sha256=${digest.slice(0, -2)}`, body],
      ['k', 'sha256=zz', body],
    ] as const) {
      expect(
        verifyEventSignature({
          signature: sha256,
          secret,
          headers: { 'x-signature': headerValue },
          rawBody: raw,
        }),
      ).toEqual({ ok: false, reason: 'signature mismatch' });
    }
  });

  it('hmac-sha1 in base64, one of several rotated signatures', () => {
    const signature: EventSignature = { scheme: 'hmac-sha1', header: 'X-Hub', encoding: 'base64' };
    const good = hmac('sha1', 'new', body).digest('base64');
    const old = hmac('sha1', 'old', body).digest('base64');
    expect(
      verifyEventSignature({
        signature,
        secret: 'new',
        headers: { 'x-hub': `${old}, ${good}` },
        rawBody: body,
      }),
    ).toEqual({ ok: true });
  });

  it('reports a missing header, secret or header declaration', () => {
    expect(
      verifyEventSignature({ signature: sha256, secret: 'k', headers: {}, rawBody: body }),
    ).toEqual({ ok: false, reason: 'no X-Signature header' });
    expect(
      verifyEventSignature({ signature: sha256, secret: null, headers: {}, rawBody: body }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('no signing secret') });
    expect(
      verifyEventSignature({
        signature: { scheme: 'hmac-sha256', encoding: 'hex' },
        secret: 'k',
        headers: {},
        rawBody: body,
      }),
    ).toEqual({ ok: false, reason: 'the event declares no signature header' });
  });

  it('none, or no declaration, has nothing to verify', () => {
    for (const signature of [undefined, { scheme: 'none', encoding: 'hex' } as const]) {
      expect(verifyEventSignature({ signature, secret: null, headers: {}, rawBody: body })).toEqual(
        { ok: true },
      );
    }
  });

  describe('standard-webhooks', () => {
    const signature: EventSignature = { scheme: 'standard-webhooks', encoding: 'base64' };
    // The example of the Standard Webhooks specification.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const payload = '{"test": 2432232314}';
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const at = 1614265330 * 1000;

    it('accepts the specification example, among other signatures', () => {
      expect(
        verifyEventSignature({ signature, secret, headers, rawBody: payload, now: at }),
      ).toEqual({ ok: true });
      expect(
        verifyEventSignature({
          signature,
          secret,
          headers: {
            ...headers,
            'webhook-signature': `v1a,abc v1,AAAA ${headers['webhook-signature']}`,
          },
          rawBody: payload,
          now: at + 299_000,
        }),
      ).toEqual({ ok: true });
    });

    it('refuses a changed body, id or secret, and a stale or future timestamp', () => {
      const check = (over: Record<string, unknown>) =>
        verifyEventSignature({ signature, secret, headers, rawBody: payload, now: at, ...over });
      expect(check({ rawBody: '{"test": 2432232315}' })).toEqual({
        ok: false,
        reason: 'signature mismatch',
      });
      expect(check({ headers: { ...headers, 'webhook-id': 'msg_other' } })).toMatchObject({
        ok: false,
      });
      expect(check({ secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).toMatchObject({
        ok: false,
      });
      expect(check({ now: at + 301_000 })).toEqual({
        ok: false,
        reason: 'webhook-timestamp is outside the tolerance',
      });
      expect(check({ now: at - 301_000 })).toMatchObject({ ok: false });
      expect(check({ now: at + 3_000_000, toleranceSeconds: 3600 })).toEqual({ ok: true });
      expect(check({ headers: { 'webhook-id': 'x' } })).toMatchObject({
        ok: false,
        reason: expect.stringContaining('missing'),
      });
    });
  });
});
