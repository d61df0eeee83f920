import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, withKey, type SeededOrg, type TestApp } from '../test/app.ts';
import { redactUrl } from './logger.ts';

const SECRET = 'S3CRET-value-0123456789';

describe('query parameters in request logs', () => {
  let t: TestApp;
  let org: SeededOrg;

  beforeAll(async () => {
    t = await createTestApp('pglite', { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    org = await seedOrg(t, 'Logs');
  });
  afterAll(() => t.close());

  const names = [
    'api_key',
    'api%5Fkey',
    '%61pi_key',
    '%61%70%69%5f%6b%65%79',
    'API_KEY',
    'Api-Key',
    'apiKey',
    'key',
    'token',
    'access_token',
    'refresh_token',
    'client_secret',
    'client%5Fsecret',
    'password',
    'secret',
    'signature',
    'sig',
    'SIG',
    'code',
    'state',
    'api_key[]',
  ];

  it.each(names)('the value of %s never reaches the log', async (name) => {
    const from = t.logs.length;
    const url = `/api/v1/customers?limit=5&${name}=${SECRET}&other=visible`;
    await t.app.inject({ method: 'GET', url, headers: withKey(org.testKey) });
    // Unauthenticated and erroring requests are logged too.
    await t.app.inject({ method: 'GET', url });
    const written = t.logs.slice(from).join('');
    expect(written).toContain('request completed');
    expect(written).toContain('other=visible');
    expect(written).toContain('[redacted]');
    expect(written).not.toContain(SECRET);
  });

  it('the OAuth callback code and state never reach the log', async () => {
    const from = t.logs.length;
    await t.app.inject({
      method: 'GET',
      url: `/api/v1/oauth/callback?code=${SECRET}&state=${SECRET}`,
    });
    const written = t.logs.slice(from).join('');
    expect(written).toContain('/api/v1/oauth/callback?');
    expect(written).not.toContain(SECRET);
  });

  it('keeps the rest of the URL as it was', () => {
    expect(redactUrl('/a/b?x=1&token=t&y=%20#frag')).toBe('/a/b?x=1&token=[redacted]&y=%20#frag');
    expect(redactUrl('/a/b')).toBe('/a/b');
    expect(redactUrl('/a?%E0%A4%A=1&%ZZkey=2')).toBe('/a?%E0%A4%A=1&%ZZkey=2');
  });
});
