// How the import keeps the record a response describes, for specs written in ways that hid
// it: a record built from a chain of `allOf` references deeper than the expansion depth, a
// list of alternatives written as `items` on something that is not an array, and a list
// response whose envelope also carries a list of errors.
import { describe, expect, it } from 'vitest';
import { importSpec } from './index.ts';
import { itemsPathOf } from './operations.ts';
import { propertiesOf, createResolver } from './schema.ts';

const ok = (ref: string) => ({
  '200': {
    description: 'ok',
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
  },
});

const spec = {
  openapi: '3.0.3',
  info: { title: 'Records', version: '1' },
  servers: [{ url: 'https://api.example.com' }],
  paths: {
    '/members/{id}': { get: { operationId: 'getMember', responses: ok('MemberEnvelope') } },
    '/accounts/{id}': { get: { operationId: 'getAccount', responses: ok('AccountEnvelope') } },
    '/stock': { get: { operationId: 'listStock', responses: ok('StockPage') } },
    '/summaries': { get: { operationId: 'listSummaries', responses: ok('SummariesResponse') } },
  },
  components: {
    schemas: {
      MemberEnvelope: {
        type: 'object',
        properties: { member: { $ref: '#/components/schemas/MemberExtended' } },
      },
      MemberExtended: {
        allOf: [
          { $ref: '#/components/schemas/Member' },
          { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } } } },
        ],
      },
      Member: {
        allOf: [
          { $ref: '#/components/schemas/MemberBase' },
          { type: 'object', properties: { plan: { type: 'string' } } },
        ],
      },
      MemberBase: {
        type: 'object',
        properties: { id: { type: 'string' }, email: { type: 'string' } },
      },
      AccountEnvelope: {
        type: 'object',
        properties: {
          ok: { type: 'boolean' },
          account: {
            items: [
              { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
              {
                type: 'object',
                properties: { id: { type: 'string' }, deleted: { type: 'boolean' } },
              },
            ],
          },
        },
      },
      // Response → Result → Summaries (a named list) → Summary → Details: four references deep.
      SummariesResponse: {
        type: 'object',
        properties: { payload: { $ref: '#/components/schemas/SummariesResult' } },
      },
      SummariesResult: {
        type: 'object',
        properties: { summaries: { $ref: '#/components/schemas/Summaries' } },
      },
      Summaries: { type: 'array', items: { $ref: '#/components/schemas/Summary' } },
      Summary: {
        type: 'object',
        properties: { sku: { type: 'string' }, details: { $ref: '#/components/schemas/Details' } },
      },
      Details: { type: 'object', properties: { fulfillableQuantity: { type: 'integer' } } },
      StockPage: {
        type: 'object',
        properties: {
          payload: {
            type: 'object',
            properties: {
              stockLevels: {
                type: 'array',
                items: { type: 'object', properties: { sku: { type: 'string' } } },
              },
            },
          },
          errors: {
            type: 'array',
            items: { type: 'object', properties: { code: { type: 'string' } } },
          },
          nextToken: { type: 'string' },
        },
      },
    },
  },
};

async function imported() {
  const result = await importSpec({
    source: { kind: 'text', text: JSON.stringify(spec) },
    fetchText: () => Promise.reject(new Error('no fetch')),
  });
  return (slug: string) => {
    const action = result.document.actions.find((a) => a.slug === slug);
    if (action === undefined) throw new Error(`no action ${slug}`);
    return action;
  };
}

const keysAt = (schema: unknown, key: string) => {
  const resolver = createResolver(schema as Record<string, unknown>);
  const record = propertiesOf({ node: schema, resolver }).get(key);
  return [...propertiesOf({ node: record, resolver }).keys()].sort();
};

describe('records the import keeps', () => {
  it('expands every allOf reference of a record, however long the chain', async () => {
    const action = (await imported())('getMember');
    expect(keysAt(action.outputSchema, 'member')).toEqual(['email', 'id', 'plan', 'tags']);
  });

  it('reads items listed on a non-array as alternatives of one record', async () => {
    const action = (await imported())('getAccount');
    expect(keysAt(action.outputSchema, 'account')).toEqual(['id', 'name']);
  });

  it('reads the same alternatives from the spec as written, before any import', () => {
    // Scoring compares a built record with the spec's own schema: both must see its fields.
    expect(keysAt(spec.components.schemas.AccountEnvelope, 'account')).toEqual(['id', 'name']);
    const tuple = { type: 'array', items: [{ type: 'string' }, { type: 'object' }] };
    expect([...propertiesOf({ node: tuple, resolver: createResolver(tuple) }).keys()]).toEqual([]);
  });

  it('keeps a record and its parts behind an envelope, a wrapper and a named list', async () => {
    const action = (await imported())('listSummaries');
    const resolver = createResolver(action.outputSchema as Record<string, unknown>);
    const payload = propertiesOf({ node: action.outputSchema, resolver }).get('payload');
    const list = propertiesOf({ node: payload, resolver }).get('summaries') as { items: unknown };
    expect(keysAt(list.items, 'details')).toEqual(['fulfillableQuantity']);
  });

  it('finds the results under their wrapper, not the list of errors beside them', () => {
    const resolver = createResolver(spec);
    expect(itemsPathOf({ schema: spec.components.schemas.StockPage, resolver })).toBe(
      'payload.stockLevels',
    );
  });
});
