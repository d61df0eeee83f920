// The scorers on hand-made inputs: what must score 1, what must score 0, and the strictness the
// suite promises (verbatim event names, the primary auth method only, schemas compared by what
// they hold, triples read from saved expressions).
import { describe, expect, it } from 'vitest';
import { operationKey, schemaProblem, scoreActions } from './actions.ts';
import { scoreAuth } from './auth.ts';
import { scoreBaseUrl } from './base-url.ts';
import { sameSchema, scoreEntities } from './entities.ts';
import { scoreEvents } from './events.ts';
import {
  canonicalPath,
  goldTriples,
  scoreFields,
  sourcePathOf,
  triplesOfMapping,
} from './fields.ts';
import { scoreTests } from './tests.ts';

describe('auth', () => {
  it('scores the first method only, in the gold names', () => {
    expect(scoreAuth({ expected: 'apiKey', authTypes: ['api_key', 'bearer'] }).ok).toBe(true);
    expect(scoreAuth({ expected: 'bearer', authTypes: ['basic', 'bearer'] })).toEqual({
      expected: 'bearer',
      got: 'basic',
      ok: false,
    });
  });
  it('scores 0 when nothing is configured where the API has auth, 1 for none on none', () => {
    expect(scoreAuth({ expected: 'custom', authTypes: [] }).ok).toBe(false);
    expect(scoreAuth({ expected: 'none', authTypes: [] }).ok).toBe(true);
    expect(scoreAuth({ expected: 'none', authTypes: ['bearer'] }).ok).toBe(false);
  });
});

describe('base URL', () => {
  it('resolves server variables at their defaults and ignores a trailing slash', () => {
    expect(
      scoreBaseUrl({
        expected: 'https://api.x.com/stores/store_hash/v3',
        baseUrl: 'https://api.x.com/stores/{store_hash}/v3/',
        serverVariables: { store_hash: 'store_hash' },
      }).ok,
    ).toBe(true);
  });
  it('misses another host, another path, or no URL at all', () => {
    const vars = {};
    expect(
      scoreBaseUrl({
        expected: 'https://a.com/v1',
        baseUrl: 'https://b.com/v1',
        serverVariables: vars,
      }).ok,
    ).toBe(false);
    expect(
      scoreBaseUrl({
        expected: 'https://a.com/v1',
        baseUrl: 'https://a.com',
        serverVariables: vars,
      }).ok,
    ).toBe(false);
    expect(
      scoreBaseUrl({ expected: 'https://a.com/v1', baseUrl: null, serverVariables: vars }).ok,
    ).toBe(false);
  });
});

describe('actions', () => {
  const actions = [
    {
      slug: 'list',
      method: 'GET',
      path: '/items',
      outputSchema: {
        type: 'array',
        items: { $ref: '#/$defs/Item' },
        $defs: { Item: { type: 'object' } },
      },
    },
    { slug: 'get', method: 'get', path: '/items/{item_id}' },
  ];
  it('matches operations by method and path, parameter names aside', () => {
    expect(operationKey('get /items/{id}/')).toBe('GET /items/{}');
    const s = scoreActions({
      actions,
      expectedOperations: ['GET /items', 'GET /items/{id}', 'DELETE /items/{id}'],
      expectedCount: 3,
    });
    expect(s).toMatchObject({
      expected: 3,
      covered: 2,
      missing: ['DELETE /items/{}'],
      validity: 1,
    });
  });
  it('scores 0 coverage and 0 validity for nothing built', () => {
    const s = scoreActions({
      actions: [],
      expectedOperations: ['GET /a', 'POST /a'],
      expectedCount: 2,
    });
    expect(s.coverage).toBe(0);
    expect(s.validity).toBe(0);
  });
  it('counts when the operations cannot be listed, capped at the gold count', () => {
    expect(scoreActions({ actions, expectedOperations: null, expectedCount: 1 }).coverage).toBe(1);
  });
  it('finds malformed schemas: a bad type, a dangling $ref, required that is not a list', () => {
    expect(schemaProblem({ type: 'object', properties: { a: { type: 'str' } } })).toMatch(/type/);
    expect(schemaProblem({ type: 'object', properties: { a: { $ref: '#/$defs/Nope' } } })).toMatch(
      /does not resolve/,
    );
    expect(schemaProblem({ type: 'object', required: 'a' })).toMatch(/required/);
    expect(
      schemaProblem({ anyOf: [{ type: 'string' }, { type: ['integer', 'null'] }] }),
    ).toBeNull();
    const bad = scoreActions({
      actions: [{ slug: 'x', method: 'GET', path: '/x', inputSchema: { type: 'thing' } }],
      expectedOperations: ['GET /x'],
      expectedCount: 1,
    });
    expect(bad.validity).toBe(0);
  });
});

describe('events', () => {
  it('takes names exactly as the provider sends them', () => {
    const gold = ['store/cart/created', 'customer.created'];
    expect(scoreEvents({ expected: gold, built: gold }).recall).toBe(1);
    const rewritten = scoreEvents({
      expected: gold,
      built: ['store.cart.created', 'created.customer'],
    });
    expect(rewritten.recall).toBe(0);
    expect(rewritten.precision).toBe(0);
    expect(rewritten.missing).toEqual(gold);
  });
  it('is vacuously 1 when the gold has none', () => {
    expect(scoreEvents({ expected: [], built: [] }).recall).toBe(1);
  });
});

describe('entities', () => {
  const customer = ['id', 'email', 'name', 'phone', 'address', 'created'];
  it('accepts the gold schema under another name or with a few extras', () => {
    expect(
      sameSchema({ goldProperties: customer, recordProperties: [...customer, 'metadata'] }).ok,
    ).toBe(true);
  });
  it('rejects an envelope, a slimmer variant and an unrelated schema', () => {
    expect(sameSchema({ goldProperties: customer, recordProperties: ['data'] }).ok).toBe(false);
    expect(sameSchema({ goldProperties: customer, recordProperties: ['id', 'name'] }).ok).toBe(
      false,
    );
    expect(
      sameSchema({
        goldProperties: customer,
        recordProperties: [
          'id',
          'email',
          'name',
          'phone',
          'address',
          'created',
          'a',
          'b',
          'c',
          'd',
        ],
      }).ok,
    ).toBe(false);
  });
  it('scores recall over the gold and precision over what was mapped', () => {
    const s = scoreEntities({
      gold: { Contact: customer, Invoice: ['id', 'total'] },
      built: {
        Contact: { properties: customer, action: 'get_customer' },
        Order: { properties: ['id', 'total'], action: 'get_order' },
      },
    });
    expect(s).toMatchObject({ hits: 1, recall: 0.5, precision: 0.5 });
  });
  it('judges by the operation only when the gold schema cannot be read', () => {
    const score = (operation: string, goldProperties: string[] = []) =>
      scoreEntities({
        gold: { Order: goldProperties },
        built: { Order: { properties: ['status'], action: 'update', operation } },
        goldOperations: { Order: ['PUT /orders/{id}'] },
      }).hits;
    expect(score('PUT /orders/{id}')).toBe(1);
    expect(score('GET /carts/{id}')).toBe(0);
    // A readable gold schema is compared by properties, whatever the operation.
    expect(score('PUT /orders/{id}', ['id', 'status', 'total'])).toBe(0);
  });
  it('scores 0 when every mapping reads the wrong schema', () => {
    const s = scoreEntities({
      gold: { Contact: customer },
      built: { Contact: { properties: ['data'], action: 'x' } },
    });
    expect(s.recall).toBe(0);
    expect(s.precision).toBe(0);
  });
});

describe('fields', () => {
  it('reads the source path of saved expressions', () => {
    expect(sourcePathOf('email')).toBe('email');
    expect(sourcePathOf('$toIso(created_at)')).toBe('created_at');
    expect(sourcePathOf('$toMinor(total.amount, currency)')).toBe('total.amount');
    expect(sourcePathOf('$mapEnum(status, {"a": "active"}, "other")')).toBe('status');
    expect(sourcePathOf('`first name`')).toBe('first name');
    expect(sourcePathOf('"constant"')).toBeNull();
    expect(sourcePathOf('((')).toBeNull();
    expect(canonicalPath('purchase_units[0].amount.value')).toBe('purchase_units.amount.value');
  });
  it('joins line-item fields to the array their lineItems[] entry names', () => {
    const t = triplesOfMapping({
      entity: 'Order',
      fields: {
        id: '$string(id)',
        'lineItems[]': 'line_items',
        'lineItems[].sku': 'sku',
        'lineItems[].unitPrice': '$toMinor(price, $$.currency)',
      },
    });
    expect([...t].sort()).toEqual([
      'Order.id=id',
      'Order.lineItems[].sku=line_items.sku',
      'Order.lineItems[].unitPrice=line_items.price',
    ]);
    expect([
      ...goldTriples({ Order: { fields: { 'lineItems[].sku': 'line_items[].sku' } } }),
    ]).toEqual(['Order.lineItems[].sku=line_items.sku']);
  });
  it('reads a write-back mapping the other way round: API paths from canonical fields', () => {
    const t = triplesOfMapping({
      entity: 'Fulfillment',
      direction: 'from_canonical',
      fields: {
        tracking_number: 'trackingNumber',
        shipment_date: '$toIso(shippedAt)',
        'items[]': 'lineItems',
        'items[].sku': 'sku',
      },
    });
    expect([...t].sort()).toEqual([
      'Fulfillment.lineItems[].sku=items.sku',
      'Fulfillment.shippedAt=shipment_date',
      'Fulfillment.trackingNumber=tracking_number',
    ]);
  });
  it('scores precision over saved triples and recall over the gold', () => {
    const gold = new Set(['Contact.email=email', 'Contact.phone=phone']);
    const s = scoreFields({
      gold,
      saved: new Set(['Contact.email=email', 'Contact.phone=mobile']),
    });
    expect(s).toMatchObject({ truePositives: 1, precision: 0.5, recall: 0.5, f1: 0.5 });
  });
  it('scores 0 for nothing saved, and 0 for a mapping on the wrong record (paths through an envelope)', () => {
    const gold = new Set(['Contact.email=email']);
    expect(scoreFields({ gold, saved: new Set() })).toMatchObject({
      precision: 0,
      recall: 0,
      f1: 0,
    });
    expect(scoreFields({ gold, saved: new Set(['Contact.email=data.email']) }).f1).toBe(0);
  });
});

describe('tests', () => {
  it('is the share of tests run that passed; no result at all is 0', () => {
    expect(scoreTests({ passed: 3, failed: 1 }).passRate).toBe(0.75);
    expect(scoreTests({ passed: 0, failed: 4 }).passRate).toBe(0);
    expect(scoreTests(null).passRate).toBe(0);
  });
});
