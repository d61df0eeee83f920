// The engine's HTTP client follows redirects itself (so that credentials stay home): the method
// and body rules of each status, the hop limit, and what reaches another origin. Two fixture
// APIs on loopback, on different ports: different origins.
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer, type EchoBody } from '../../test/fixtures/index.ts';
import type { OutboundRequest, OutboundResponse, Send } from '../engine/types.ts';
import { createHttpClient } from './http-client.ts';
import { createGuardedDispatcher } from './ssrf.ts';

let home: ApiServer;
let elsewhere: ApiServer;
let dispatcher: Dispatcher;
let send: Send;

beforeAll(async () => {
  home = await startApiServer();
  elsewhere = await startApiServer();
  dispatcher = createGuardedDispatcher({
    allowlist: [new URL(home.url).host, new URL(elsewhere.url).host],
    mode: 'test',
  });
  send = createHttpClient({ dispatcher });
});
afterAll(async () => {
  await dispatcher.close();
  await Promise.all([home.close(), elsewhere.close()]);
});

const OPTIONS = { timeoutMs: 10_000, maxResponseBytes: 1024 * 1024 };

function redirect({ to, status = 302 }: { to: string; status?: number }): URL {
  const url = new URL('/redirect', home.url);
  url.searchParams.set('to', to);
  url.searchParams.set('status', String(status));
  return url;
}

async function call(request: Partial<OutboundRequest> & { url: URL }): Promise<{
  response: OutboundResponse;
  echo: EchoBody;
}> {
  const response = await send({ method: 'GET', headers: {}, ...request }, OPTIONS);
  return { response, echo: JSON.parse(response.body.toString('utf8')) as EchoBody };
}

describe('createHttpClient redirects', () => {
  it.each([
    [301, 'POST', 'GET', null],
    [302, 'POST', 'GET', null],
    [303, 'POST', 'GET', null],
    [303, 'PUT', 'GET', null],
    [307, 'POST', 'POST', '{"a":1}'],
    [308, 'POST', 'POST', '{"a":1}'],
    [301, 'PUT', 'PUT', '{"a":1}'],
    [302, 'PATCH', 'PATCH', '{"a":1}'],
  ])('%i after %s: %s with body %s', async (status, method, expectedMethod, expectedBody) => {
    const { response, echo } = await call({
      method,
      url: redirect({ to: `${home.url}/echo/landed`, status }),
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(200);
    expect(response.url.href).toBe(`${home.url}/echo/landed`);
    expect(echo.method).toBe(expectedMethod);
    expect(echo.rawBody).toBe(expectedBody);
    expect(echo.contentType).toBe(expectedBody === null ? null : 'application/json');
  });

  it('drops authorization, cookie and proxy-authorization on another origin, keeps them at home', async () => {
    const headers = {
      authorization: 'Bearer s3cret',
      cookie: 'session=s3cret',
      'proxy-authorization': 'Basic s3cret',
      'x-other': 'kept',
    };
    const same = await call({ url: redirect({ to: `${home.url}/echo/same` }), headers });
    expect(same.echo.headers).toMatchObject(headers);
    const away = await call({ url: redirect({ to: `${elsewhere.url}/echo/away` }), headers });
    expect(away.response.url.origin).toBe(elsewhere.url);
    expect(away.echo.headers['x-other']).toBe('kept');
    for (const name of ['authorization', 'cookie', 'proxy-authorization'])
      expect(away.echo.headers[name]).toBeUndefined();
  });

  it('follows five redirects and hands back the sixth', async () => {
    const chain = (hops: number): URL => {
      let url = new URL(`${home.url}/echo/end`);
      for (let i = 0; i < hops; i++) url = redirect({ to: url.href });
      return url;
    };
    const five = await send({ method: 'GET', url: chain(5), headers: {} }, OPTIONS);
    expect(five.status).toBe(200);
    home.clear();
    const six = await send({ method: 'GET', url: chain(6), headers: {} }, OPTIONS);
    expect(six.status).toBe(302);
    expect(home.requests).toHaveLength(6);
  });

  it('hands back a redirect to anything but http and https', async () => {
    const response = await send(
      { method: 'GET', url: redirect({ to: 'file:///etc/passwd' }), headers: {} },
      OPTIONS,
    );
    expect(response.status).toBe(302);
    expect(response.headers['location']).toBe('file:///etc/passwd');
  });

  it('refuses another origin for a request whose credentials are the request itself', async () => {
    elsewhere.clear();
    await expect(
      send(
        {
          method: 'POST',
          url: redirect({ to: `${elsewhere.url}/echo/token`, status: 307 }),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'client_secret=s3cret',
          redirects: 'same-origin-only',
        },
        OPTIONS,
      ),
    ).rejects.toMatchObject({ kind: 'blocked', retryable: false });
    expect(elsewhere.requests).toEqual([]);
    // On its own origin it is followed as it is.
    const { echo } = await call({
      method: 'POST',
      url: redirect({ to: `${home.url}/echo/token`, status: 307 }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_secret=s3cret',
      redirects: 'same-origin-only',
    });
    expect(echo.body).toEqual({ client_secret: 's3cret' });
  });
});
