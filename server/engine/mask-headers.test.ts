import { describe, expect, it } from 'vitest';
import { describePlacement, maskedRequestHeaders } from './mask-headers.ts';

const redact = (v: string) => v.replaceAll('other-secret', '[redacted]');

describe('request headers in traces', () => {
  it('keeps the prefix and the last 4 characters of a credential auth put in', () => {
    const masked = maskedRequestHeaders({
      sent: { accept: 'application/json', authorization: 'Token abcdefgh12345678' },
      bare: { accept: 'application/json' },
      method: { key: 'k', type: 'api_key', in: 'header', name: 'Authorization', prefix: 'Token ' },
      redact,
    });
    expect(masked).toEqual({ accept: 'application/json', authorization: 'Token ****5678' });
  });

  it('shows nothing of a short secret, and redacts other headers', () => {
    const masked = maskedRequestHeaders({
      sent: { 'x-key': 'short1', 'x-echo': 'other-secret' },
      bare: { 'x-echo': 'other-secret' },
      method: { key: 'k', type: 'api_key', in: 'header', name: 'X-Key' },
      redact,
    });
    expect(masked).toEqual({ 'x-key': '****', 'x-echo': '[redacted]' });
  });

  it('says where a method puts the credential', () => {
    expect(describePlacement({ key: 'b', type: 'bearer' })).toBe(
      'header Authorization, prefix "Bearer "',
    );
    expect(describePlacement({ key: 'k', type: 'api_key', in: 'query', name: 'api_key' })).toBe(
      'query api_key, no prefix',
    );
  });
});
