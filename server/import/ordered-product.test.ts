import { describe, expect, it } from 'vitest';
import { importSpec } from './index.ts';

const resource = (properties: Record<string, unknown>) => ({
  type: 'object',
  properties: { id: { type: 'integer' }, ...properties },
});

function spec(orderProperties: Record<string, unknown>) {
  return {
    openapi: '3.0.3',
    info: { title: 'Shop', version: '1' },
    servers: [{ url: 'https://api.example.com' }],
    paths: {
      '/gadget/{gadgetId}': {
        get: {
          parameters: [
            { name: 'gadgetId', in: 'path', required: true, schema: { type: 'integer' } },
          ],
          responses: {
            '200': {
              description: 'ok',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Gadget' } } },
            },
          },
        },
      },
      '/store/order/{orderId}': {
        get: {
          parameters: [
            { name: 'orderId', in: 'path', required: true, schema: { type: 'integer' } },
          ],
          responses: {
            '200': {
              description: 'ok',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        Gadget: resource({ name: { type: 'string' }, status: { type: 'string' } }),
        Order: resource({
          quantity: { type: 'integer' },
          status: { type: 'string' },
          ...orderProperties,
        }),
      },
    },
  };
}

const entitiesOf = async (document: unknown) =>
  (
    await importSpec({
      source: { kind: 'text', text: JSON.stringify(document) },
      fetchText: () => Promise.reject(new Error('no network')),
      selection: { mode: 'all' },
    })
  ).entities.map((e) => [e.schema, e.cdmEntity]);

// What an order is placed for is a product, whatever the API calls it.
describe('the resource an order refers to', () => {
  it('is taken as the Product when an Order names it by <name>Id', async () => {
    expect(await entitiesOf(spec({ gadgetId: { type: 'integer' } }))).toContainEqual([
      'Gadget',
      'Product',
    ]);
  });
  it('is left alone when the Order does not refer to it', async () => {
    expect(await entitiesOf(spec({ widgetId: { type: 'integer' } }))).toContainEqual([
      'Gadget',
      null,
    ]);
  });
});
