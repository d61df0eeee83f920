import { describe, expect, it } from 'vitest';
import { EventInputSchema } from '../domain/connector.ts';
import { eventNameOf } from './events.ts';
import { importSpec } from './index.ts';

// Event names are kept as the provider sends them: they are what one subscribes to.
describe('event names', () => {
  it('keeps slash-separated and dotted names verbatim', () => {
    for (const name of [
      'store/cart/created',
      'customer.created',
      'created.customer',
      'invoice_paid',
    ])
      expect(eventNameOf(name)).toBe(name);
    expect(eventNameOf(' order created ')).toBe('order.created');
    expect(eventNameOf('store/cart created!')).toBe('store/cart.created');
    expect(EventInputSchema.safeParse({ name: 'store/cart/lineItem/created' }).success).toBe(true);
  });

  it('imports the subscribable enum of a webhook endpoint without rewriting it', async () => {
    const spec = {
      openapi: '3.0.3',
      info: { title: 'Hooks', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      paths: {
        '/hooks': {
          post: {
            operationId: 'createHook',
            requestBody: {
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      scope: {
                        type: 'string',
                        enum: ['store/cart/created', 'store/order/updated'],
                      },
                      destination: { type: 'string' },
                    },
                  },
                },
              },
            },
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    };
    const result = await importSpec({
      source: { kind: 'text', text: JSON.stringify(spec) },
      fetchText: () => Promise.reject(new Error('no network')),
      selection: { mode: 'all' },
    });
    expect(result.document.events.map((e) => e.name).sort()).toEqual([
      'store/cart/created',
      'store/order/updated',
    ]);
  });
});
