import { describe, expect, it } from 'vitest';
import { compileMapping } from './mapping.ts';
import {
  expandRefs,
  expressionsFor,
  localResolver,
  proposeEnumTable,
} from './suggest-expressions.ts';
import { suggestMapping } from './suggest.ts';

describe('expressions from suggested paths', () => {
  it('proposes an enum table from the source values to the canonical ones', () => {
    expect(
      proposeEnumTable(
        ['new', 'Processing', 'shipped', 'canceled', 'on_hold', 'weird'],
        ['pending', 'open', 'fulfilled', 'cancelled', 'other'],
      ),
    ).toEqual({
      table: {
        new: 'pending',
        Processing: 'open',
        shipped: 'fulfilled',
        canceled: 'cancelled',
        on_hold: 'pending',
      },
      unmatched: ['weird'],
    });
  });

  it('expands $refs in a stored schema and cuts cycles', () => {
    const schema = {
      type: 'object',
      properties: { node: { $ref: '#/$defs/Node' } },
      $defs: { Node: { type: 'object', properties: { next: { $ref: '#/$defs/Node' } } } },
    };
    const expanded = expandRefs(schema, localResolver(schema)) as {
      properties: { node: { properties: { next: { description: string } } } };
    };
    expect(expanded.properties.node.properties.next.description).toContain('cycle');
  });

  it('gives expressions that map a real record cleanly', async () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        state: { type: 'string', enum: ['paid', 'refunded', 'void'] },
        currency: { type: 'string' },
        grand_total: { type: 'string' },
        created_at: { type: 'integer', description: 'unix seconds' },
        lines: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              sku: { type: 'string' },
              qty: { type: 'string' },
              price: { type: 'number' },
            },
          },
        },
      },
    };
    const record = {
      id: 5,
      state: 'void',
      currency: 'EUR',
      grand_total: '10.50',
      created_at: 1767225600,
      lines: [{ sku: 'A', qty: '2', price: 5.25 }],
    };
    const suggestion = suggestMapping({ entity: 'Order', schema, resolve: () => undefined });
    const { fields } = expressionsFor({
      entity: 'Order',
      fields: suggestion.fields,
      schema,
      samples: [record],
    });
    const mapping = Object.fromEntries(fields.map((f) => [f.cdmField, f.expression]));
    const result = await compileMapping({
      entity: 'Order',
      direction: 'to_canonical',
      fields: mapping,
    }).apply(record);
    expect(result.errors).toEqual([]);
    expect(result.value).toMatchObject({
      id: '5',
      status: 'cancelled',
      totalAmount: 1050,
      lineItems: [{ sku: 'A', quantity: 2, unitPrice: 525 }],
    });
  });

  it('reads contact details kept in a list of addresses from its first entry', async () => {
    const address = {
      type: 'object',
      properties: {
        telephone: { type: 'string' },
        city: { type: 'string' },
        postcode: { type: 'string' },
        country_id: { type: 'string' },
      },
    };
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        email: { type: 'string', format: 'email' },
        firstname: { type: 'string' },
        lastname: { type: 'string' },
        addresses: { type: 'array', items: address },
      },
    };
    const record = {
      id: 7,
      email: 'ada@example.com',
      firstname: 'Ada',
      lastname: 'Lovelace',
      addresses: [
        { telephone: '+44 20 7946 0000', city: 'London', postcode: 'W1', country_id: 'GB' },
        { telephone: '+33 1 00 00 00 00', city: 'Paris', postcode: '75001', country_id: 'FR' },
      ],
    };
    const suggestion = suggestMapping({ entity: 'Contact', schema, resolve: () => undefined });
    const { fields } = expressionsFor({
      entity: 'Contact',
      fields: suggestion.fields,
      schema,
      samples: [record],
    });
    const mapping = Object.fromEntries(fields.map((f) => [f.cdmField, f.expression]));
    expect(mapping['city']).toBe('addresses[0].city');
    const result = await compileMapping({
      entity: 'Contact',
      direction: 'to_canonical',
      fields: mapping,
    }).apply(record);
    expect(result.errors).toEqual([]);
    expect(result.value).toMatchObject({
      id: '7',
      email: 'ada@example.com',
      phone: '+44 20 7946 0000',
      city: 'London',
      postalCode: 'W1',
      country: 'GB',
    });
  });
});
