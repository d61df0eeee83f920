import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scoreCdmSuggestions } from '../../evals/cdm-score.ts';
import { normalizeName, suggestMapping, type ResolveRef } from './suggest.ts';
import { suggestForSpec } from './suggest-spec.ts';

const schemas: Record<string, unknown> = {
  address: {
    type: 'object',
    properties: {
      line1: { type: 'string' },
      line2: { type: 'string' },
      city: { type: 'string' },
      state: { type: 'string' },
      postal_code: { type: 'string' },
      country: { type: 'string' },
    },
  },
  customer: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string', format: 'email' },
      phone: { type: 'string' },
      address: { $ref: '#/components/schemas/address' },
      created: { type: 'integer', format: 'unix-time' },
      // Reaches back to the customer: the cycle must be cut, not followed.
      default_source: { $ref: '#/components/schemas/source' },
    },
  },
  source: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      owner: { $ref: '#/components/schemas/customer' },
      name: { type: 'string' },
    },
  },
  product: {
    type: 'object',
    properties: { id: { type: 'integer' }, sku: { type: 'string' } },
  },
};

const resolve: ResolveRef = (ref) => schemas[ref.replace('#/components/schemas/', '')];

function mapped(result: { fields: { cdmField: string; sourcePath: string }[] }) {
  return Object.fromEntries(result.fields.map((f) => [f.cdmField, f.sourcePath]));
}

describe('normalizeName', () => {
  it('splits camel, snake, kebab case and digits', () => {
    expect(normalizeName('addressLine1')).toBe('address line 1');
    expect(normalizeName('address_line_1')).toBe('address line 1');
    expect(normalizeName('BillAddr.CountrySubDivisionCode')).toBe(
      'bill addr country sub division code',
    );
    expect(normalizeName('e-mail')).toBe('e mail');
  });
});

describe('suggestMapping', () => {
  it('maps a customer with a nested address object', () => {
    const result = suggestMapping({
      entity: 'Contact',
      schema: { $ref: '#/components/schemas/customer' },
      resolve,
    });
    expect(mapped(result)).toEqual({
      id: 'id',
      fullName: 'name',
      email: 'email',
      phone: 'phone',
      addressLine1: 'address.line1',
      city: 'address.city',
      region: 'address.state',
      postalCode: 'address.postal_code',
      country: 'address.country',
      createdAt: 'created',
    });
    const email = result.fields.find((f) => f.cdmField === 'email');
    expect(email?.evidence).toContain('name "email" is "email"');
    expect(email?.evidence).toContain('type string (email)');
    const city = result.fields.find((f) => f.cdmField === 'city');
    expect(city?.evidence).toContain('inside "address"');
    // A top-level exact name is surer than a nested one.
    expect(email?.confidence).toBeGreaterThan(city?.confidence ?? 1);
    expect(result.fields.every((f) => f.confidence >= 0.65 && f.confidence <= 1)).toBe(true);
  });

  it('reads fields under a properties object', () => {
    const result = suggestMapping({
      entity: 'Contact',
      schema: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          properties: {
            type: 'object',
            properties: {
              firstname: { type: 'string' },
              lastname: { type: 'string' },
              email: { type: 'string' },
              jobtitle: { type: 'string' },
            },
          },
          createdAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
          archived: { type: 'boolean' },
        },
      },
      resolve,
    });
    expect(mapped(result)).toEqual({
      id: 'id',
      firstName: 'properties.firstname',
      lastName: 'properties.lastname',
      email: 'properties.email',
      createdAt: 'createdAt',
      updatedAt: 'updatedAt',
    });
    const created = result.fields.find((f) => f.cdmField === 'createdAt');
    const first = result.fields.find((f) => f.cdmField === 'firstName');
    expect(created?.confidence).toBeGreaterThan(first?.confidence ?? 1);
  });

  it('maps an order with line items and keeps order fields out of the lines', () => {
    const result = suggestMapping({
      entity: 'Order',
      schema: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          order_number: { type: 'string' },
          status: { type: 'string' },
          currency: { type: 'string' },
          total_price: { type: 'string' },
          subtotal_price: { type: 'string' },
          total_tax: { type: 'string' },
          email: { type: 'string' },
          created_at: { type: 'string', format: 'date-time' },
          shipping_address: {
            type: 'object',
            properties: { state: { type: 'string' }, city: { type: 'string' } },
          },
          line_items: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'integer' },
                product_id: { type: 'integer' },
                sku: { type: 'string' },
                quantity: { type: 'integer' },
                price: { type: 'string' },
                status: { type: 'string' },
              },
            },
          },
        },
      },
      resolve,
    });
    expect(mapped(result)).toEqual({
      id: 'id',
      orderNumber: 'order_number',
      customerEmail: 'email',
      status: 'status',
      currency: 'currency',
      totalAmount: 'total_price',
      subtotalAmount: 'subtotal_price',
      taxAmount: 'total_tax',
      'lineItems[].productId': 'line_items[].product_id',
      'lineItems[].sku': 'line_items[].sku',
      'lineItems[].quantity': 'line_items[].quantity',
      'lineItems[].unitPrice': 'line_items[].price',
      createdAt: 'created_at',
    });
    const quantity = result.fields.find((f) => f.cdmField === 'lineItems[].quantity');
    expect(quantity?.evidence).toContain('in line items "line_items[]"');
  });

  it('uses sample values to veto a name match', () => {
    const schema = {
      type: 'object',
      properties: { id: { type: 'string' }, email: { type: 'string' } },
    };
    const good = suggestMapping({
      entity: 'Contact',
      schema,
      resolve,
      samples: [{ id: 'c1', email: 'ada@example.com' }],
    });
    expect(mapped(good)['email']).toBe('email');
    expect(good.fields.find((f) => f.cdmField === 'email')?.evidence).toContain(
      '1 of 1 sample values look like an email address',
    );
    const bad = suggestMapping({
      entity: 'Contact',
      schema,
      resolve,
      samples: [{ id: 'c1', email: 'not shared' }],
    });
    expect(mapped(bad)['email']).toBeUndefined();
  });

  it('shares a path only when its name means both fields', () => {
    const result = suggestMapping({
      entity: 'InventoryLevel',
      schema: {
        type: 'object',
        properties: { product_id: { type: 'integer' }, qty: { type: 'number' } },
      },
      resolve,
    });
    expect(mapped(result)).toEqual({
      productId: 'product_id',
      quantityAvailable: 'qty',
      quantityOnHand: 'qty',
    });
  });
});

describe('scoreCdmSuggestions on the labelled specs', () => {
  const evals = new URL('../../evals/data/', import.meta.url);
  it('suggests mappings for the entities the importer finds', async () => {
    const result = await suggestForSpec({
      specPath: fileURLToPath(new URL('specs/petstore-v3.yaml', evals)),
      fetchText: (url) => Promise.reject(new Error(`no network in tests (${url})`)),
    });
    const user = result.find((s) => s.entity === 'Contact');
    expect(user?.schema).toBe('User');
    expect(mapped(user ?? { fields: [] })).toMatchObject({
      email: 'email',
      firstName: 'firstName',
    });
  });

  it('keeps precision and recall above their floors', async () => {
    const score = await scoreCdmSuggestions({
      goldDir: fileURLToPath(new URL('gold/', evals)),
      specsDir: fileURLToPath(new URL('specs/', evals)),
    });
    expect(score.specs.length).toBeGreaterThan(20);
    expect(score.overall.precision).toBeGreaterThanOrEqual(0.9);
    expect(score.overall.recall).toBeGreaterThanOrEqual(0.8);
  }, 60_000);

  it('takes the field the item path is keyed by for the id when none is named like one', () => {
    const schema = {
      type: 'object',
      properties: {
        asin: { type: 'string' },
        title: { type: 'string' },
        description: { type: 'string' },
      },
    };
    const idOf = (recordKey?: string) =>
      suggestMapping({
        entity: 'Product',
        schema,
        resolve: () => undefined,
        recordKey,
      }).fields.find((f) => f.cdmField === 'id')?.sourcePath;
    expect(idOf()).toBeUndefined();
    expect(idOf('asin')).toBe('asin');
    // A key the record does not carry says nothing.
    expect(idOf('productId')).toBeUndefined();
    // A record with its own id keeps it.
    const withId = { ...schema, properties: { ...schema.properties, id: { type: 'string' } } };
    expect(
      suggestMapping({
        entity: 'Product',
        schema: withId,
        resolve: () => undefined,
        recordKey: 'asin',
      }).fields.find((f) => f.cdmField === 'id')?.sourcePath,
    ).toBe('id');
    // The key inside the object wrapped around the record is its id, trusted as a key.
    const wrapped = {
      type: 'object',
      properties: {
        fulfillmentOrder: { type: 'object', properties: { sellerOrderId: { type: 'string' } } },
      },
    };
    const id = suggestMapping({
      entity: 'Fulfillment',
      schema: wrapped,
      resolve: () => undefined,
      recordKey: 'sellerOrderId',
    }).fields.find((f) => f.cdmField === 'id');
    expect(id?.sourcePath).toBe('fulfillmentOrder.sellerOrderId');
    expect(id?.confidence).toBeGreaterThanOrEqual(0.8);
  });

  it('reads `<noun>Id` as the product id when the API calls its products by that noun', () => {
    const order = {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        petId: { type: 'integer' },
        quantity: { type: 'integer' },
      },
    };
    const productId = (productNouns?: string[]) =>
      suggestMapping({
        entity: 'Order',
        schema: order,
        resolve: () => undefined,
        productNouns,
      }).fields.find((f) => f.cdmField === 'lineItems[].productId')?.sourcePath;
    expect(productId()).toBeUndefined();
    expect(productId(['pet'])).toBe('petId');
  });
});
