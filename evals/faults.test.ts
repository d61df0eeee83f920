// The seeding procedure of the fixer cases: the same connector and seed give the same faults,
// another seed may put them elsewhere; each kind breaks exactly its field and nothing else; the
// repair check reads the field back and tells a repaired connector from a broken one.
import { describe, expect, it } from 'vitest';
import type { ActionInput } from '../server/domain/connector.ts';
import {
  faultCandidates,
  FAULT_KINDS,
  restored,
  seededRandom,
  wrongBasePath,
  type FaultableConnector,
  type SeededFault,
} from './faults.ts';

const action = (over: Partial<ActionInput> & Pick<ActionInput, 'slug' | 'path'>): ActionInput => ({
  name: over.slug,
  method: 'GET',
  parameters: [],
  bodyType: 'json',
  tags: [],
  deprecated: false,
  ...over,
});

const SHOP: FaultableConnector = {
  connector: {
    baseUrl: 'https://api.shop.test/v2',
    authMethods: [
      { key: 'api_key', type: 'api_key', in: 'header', name: 'X-Shop-Key' },
      { key: 'bearer', type: 'bearer' },
    ],
  },
  actions: [
    action({
      slug: 'listOrders',
      path: '/orders',
      parameters: [
        { name: 'status', in: 'query', required: true },
        { name: 'limit', in: 'query', required: false },
      ],
    }),
    action({
      slug: 'getOrder',
      path: '/orders/{id}',
      parameters: [{ name: 'id', in: 'path', required: true }],
    }),
    action({
      slug: 'listCustomers',
      path: '/customers',
      parameters: [{ name: 'X-Store', in: 'header', required: true }],
    }),
    action({ slug: 'createOrder', method: 'POST', path: '/orders' }),
  ],
};
const PASSING = SHOP.actions.map((a) => a.slug);

/** The connector with a fault's change applied, as the admin tools would store it. */
function applied(c: FaultableConnector, fault: SeededFault): FaultableConnector {
  const change = fault.change;
  if (change.target === 'baseUrl')
    return { ...c, connector: { ...c.connector, baseUrl: change.baseUrl } };
  if (change.target === 'authMethods')
    return { ...c, connector: { ...c.connector, authMethods: change.authMethods } };
  return {
    ...c,
    actions: c.actions.map((a) => (a.slug === change.action.slug ? change.action : a)),
  };
}

describe('seeded faults', () => {
  it('are deterministic for a seed, and every kind finds a fault on a connector that has one', () => {
    for (const kind of FAULT_KINDS) {
      const once = faultCandidates({ connector: SHOP, passing: PASSING, kind, seed: 7 });
      const again = faultCandidates({ connector: SHOP, passing: PASSING, kind, seed: 7 });
      expect(once.length, kind).toBeGreaterThan(0);
      expect(again).toEqual(once);
    }
    const orders = (seed: number) =>
      faultCandidates({ connector: SHOP, passing: PASSING, kind: 'path_segment', seed }).map(
        (f) => `${f.action} ${String(f.after)}`,
      );
    const seen = new Set(Array.from({ length: 12 }, (_, s) => orders(s).join('|')));
    expect(seen.size).toBeGreaterThan(1);
    expect(seededRandom(3)()).toBe(seededRandom(3)());
  });

  it('go only on actions that passed, and never make a path another action already has', () => {
    const faults = faultCandidates({
      connector: SHOP,
      passing: ['getOrder'],
      kind: 'path_segment',
      seed: 1,
    });
    expect(faults.map((f) => [f.action, f.after])).toEqual([['getOrder', '/order/{id}']]);
    // `/orders` → `/order` is free for GET; POST /orders is another method, so it is free too.
    const all = faultCandidates({
      connector: SHOP,
      passing: PASSING,
      kind: 'path_segment',
      seed: 1,
    });
    expect(all.every((f) => f.after !== '/customers' && f.after !== '/orders')).toBe(true);
  });

  it('break exactly their field, and the repair check tells broken from repaired', () => {
    for (const kind of FAULT_KINDS) {
      const [fault] = faultCandidates({ connector: SHOP, passing: PASSING, kind, seed: 2 });
      if (fault === undefined) throw new Error(`no ${kind} fault`);
      const broken = applied(SHOP, fault);
      expect(restored(broken, fault), kind).toBe(false);
      expect(restored(SHOP, fault), kind).toBe(true);
    }
    const [inBody] = faultCandidates({
      connector: SHOP,
      passing: PASSING,
      kind: 'query_in_body',
      seed: 1,
    });
    expect(inBody).toMatchObject({ action: 'listOrders', field: 'parameters.status.in' });
    if (inBody?.change.target !== 'action') throw new Error('an action change');
    expect(inBody.change.action.parameters.find((p) => p.name === 'status')?.in).toBe('body');
    expect(inBody.change.action.parameters.find((p) => p.name === 'limit')?.in).toBe('query');
    const dropped = faultCandidates({
      connector: SHOP,
      passing: PASSING,
      kind: 'required_param_dropped',
      seed: 1,
    });
    // Path parameters stay: the path still names them.
    expect(dropped.map((f) => f.field).sort()).toEqual(['parameters.X-Store', 'parameters.status']);
  });

  it('puts a wrong scheme word in the Authorization header and a wrong API key name', () => {
    const [scheme] = faultCandidates({
      connector: SHOP,
      passing: PASSING,
      kind: 'auth_scheme',
      seed: 1,
    });
    expect(scheme?.after).toEqual({
      key: 'bearer',
      type: 'api_key',
      in: 'header',
      name: 'Authorization',
      prefix: 'Token ',
    });
    const [key] = faultCandidates({ connector: SHOP, passing: PASSING, kind: 'key_name', seed: 1 });
    expect(key?.field).toBe('authMethods.api_key');
    expect((key?.after as { name: string }).name.toLowerCase()).not.toBe('x-shop-key');
    // A repair that fixes the name but keeps a stray prefix is not the original.
    const half = applied(SHOP, {
      ...(key as SeededFault),
      change: {
        target: 'authMethods',
        authMethods: [
          { key: 'api_key', type: 'api_key', in: 'header', name: 'X-Shop-Key', prefix: 'Key ' },
          { key: 'bearer', type: 'bearer' },
        ],
      },
    });
    expect(restored(half, key as SeededFault)).toBe(false);
  });

  it('moves a versioned base path to the next version, else drops its last segment', () => {
    expect(wrongBasePath('https://api.shop.test/v2')).toBe('https://api.shop.test/v3');
    expect(wrongBasePath('https://x.test/api/rest')).toBe('https://x.test/api');
    expect(wrongBasePath('https://{region}.x.test/api/v1/')).toBe('https://{region}.x.test/api/v2');
    expect(wrongBasePath('https://x.test')).toBeNull();
    expect(wrongBasePath('https://x.test/{tenant}')).toBeNull();
  });
});
