// The fixer's auth and base path rules: a method sending the wrong scheme word goes back to the
// spec's method of the same key; each API key is compared with the spec's key of its own name;
// a base path outside the API's goes back to the spec's, on the connector's own host.
import { describe, expect, it } from 'vitest';
import type { AuthMethod } from '../../server/domain/connector.ts';
import { patchAuth, patchBasePath, type FailedTest } from './patches.ts';

const FAILURE: FailedTest = {
  action: 'listOrders',
  errorClass: 'auth',
  error: 'GET /orders needs Authorization: Bearer <credential>',
  status: 401,
};

describe('the fixer patch rules', () => {
  it("puts a method back to the spec's scheme when it sends the wrong word", () => {
    const spec: AuthMethod[] = [{ key: 'bearer', type: 'bearer' }];
    const patch = patchAuth({
      current: [
        { key: 'bearer', type: 'api_key', in: 'header', name: 'Authorization', prefix: 'Token ' },
      ],
      reference: spec,
      failure: FAILURE,
    });
    expect(patch?.authMethods).toEqual(spec);
    expect(patch?.diff.map((d) => d.field)).toEqual(['authMethods.bearer']);
    // Already as the spec says: nothing to change.
    expect(patchAuth({ current: spec, reference: spec, failure: FAILURE })).toBeNull();
  });

  it("moves each API key to the spec's key of the same name, and leaves the other alone", () => {
    const spec: AuthMethod[] = [
      { key: 'header_key', type: 'api_key', in: 'header', name: 'X-Api-Key' },
      { key: 'query_key', type: 'api_key', in: 'query', name: 'api_key' },
    ];
    const patch = patchAuth({
      current: [
        { key: 'header_key', type: 'api_key', in: 'header', name: 'X-Auth-Token' },
        { key: 'query_key', type: 'api_key', in: 'query', name: 'api_key' },
      ],
      reference: spec,
      failure: FAILURE,
    });
    expect(patch?.authMethods).toEqual(spec);
    expect(patch?.diff).toHaveLength(1);
  });

  it("without a spec, reads where the key goes from the API's challenge", () => {
    const patch = patchAuth({
      current: [{ key: 'api_key', type: 'api_key', in: 'header', name: 'X-Token' }],
      reference: null,
      failure: { ...FAILURE, responseHeaders: { 'www-authenticate': 'ApiKey header="X-Key"' } },
    });
    expect(patch?.authMethods).toEqual([
      { key: 'api_key', type: 'api_key', in: 'header', name: 'X-Key' },
    ]);
  });

  it("restores the spec's base path and keeps the connector's own host", () => {
    expect(
      patchBasePath({
        current: 'https://sandbox.shop.test/v3',
        reference: 'https://api.shop.test/v2/',
      }),
    ).toMatchObject({ baseUrl: 'https://sandbox.shop.test/v2' });
    expect(
      patchBasePath({ current: 'https://{region}.x.test', reference: 'https://x.test/api' }),
    ).toMatchObject({ baseUrl: 'https://{region}.x.test/api' });
    expect(
      patchBasePath({ current: 'https://a.test/v2', reference: 'https://b.test/v2' }),
    ).toBeNull();
    expect(patchBasePath({ current: null, reference: 'https://b.test/v2' })).toBeNull();
  });
});
