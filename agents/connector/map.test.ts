// The map step chooses what to map by how well a record fits each canonical entity, not by
// the action's name alone: over the real admin MCP server and database, a small spec whose
// entities hide behind envelopes, nested collections, a generic resource and a write-only
// resource is built offline and the saved mappings are read back.
import { afterEach, describe, expect, it } from 'vitest';
import { createOfflineProvider } from '../llm/index.ts';
import { createMemoryJournal } from '../runs/memory-journal.ts';
import { startAgentHarness, type AgentHarness } from '../../test/agent-harness.ts';
import { runConnectorAgent } from './index.ts';
import { candidatesFor, definesEntity, fitOf, priorOf } from './map.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const str = { type: 'string' };
const json = (schema: unknown) => ({
  '200': { description: 'ok', content: { 'application/json': { schema } } },
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const idParam = [{ name: 'id', in: 'path', required: true, schema: str }];

const spec = {
  openapi: '3.0.3',
  info: { title: 'Club', version: '1' },
  servers: [{ url: 'https://api.club.example' }],
  security: [{ key: [] }],
  paths: {
    // The club's own record of a person: an envelope with an error list beside it.
    '/people': {
      get: {
        operationId: 'listPeople',
        responses: json({
          type: 'object',
          properties: { results: { type: 'array', items: ref('Person') }, errors: ref('Errors') },
        }),
      },
    },
    '/people/{id}': {
      get: {
        operationId: 'getPerson',
        parameters: idParam,
        responses: json({
          type: 'object',
          properties: { payload: ref('Person'), errors: ref('Errors') },
        }),
      },
    },
    // Nested under another resource, with even more contact-like fields: not the primary one.
    '/teams/{id}/guardians': {
      get: {
        operationId: 'listTeamGuardians',
        parameters: idParam,
        responses: json({ type: 'array', items: ref('Guardian') }),
      },
    },
    // Items named like products, with only the fields any resource has.
    '/news/news_items': {
      get: { operationId: 'listNewsItems', responses: json({ type: 'array', items: ref('News') }) },
    },
    // Only a write answers with the shipment.
    '/shipments': {
      post: {
        operationId: 'createShipment',
        requestBody: {
          content: {
            'application/json': { schema: { type: 'object', properties: { order: str } } },
          },
        },
        responses: json(ref('Shipment')),
      },
    },
  },
  components: {
    securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Key' } },
    schemas: {
      Errors: { type: 'array', items: { type: 'object', properties: { code: str, message: str } } },
      Person: {
        type: 'object',
        properties: {
          id: str,
          email: { type: 'string', format: 'email' },
          first_name: str,
          last_name: str,
          created_at: { type: 'string', format: 'date-time' },
        },
      },
      Guardian: {
        type: 'object',
        properties: {
          id: str,
          email: { type: 'string', format: 'email' },
          first_name: str,
          last_name: str,
          phone: str,
          job_title: str,
          company_name: str,
        },
      },
      News: {
        type: 'object',
        properties: { id: str, title: str, state: str, created_at: str, updated_at: str },
      },
      Shipment: {
        type: 'object',
        properties: {
          id: str,
          tracking_number: str,
          tracking_url: { type: 'string', format: 'uri' },
          carrier: str,
          shipped_at: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
};

async function harness(): Promise<AgentHarness> {
  const h = await startAgentHarness({ allowlist: [] });
  closers.push(() => h.close());
  return h;
}

describe('the map step', () => {
  it('saves the best-fitting record per entity, top-level reads first, writes when nothing else', async () => {
    const h = await harness();
    const report = await runConnectorAgent({
      client: h.client,
      provider: createOfflineProvider(),
      journal: createMemoryJournal(),
      input: { source: 'club.json', specText: JSON.stringify(spec) },
    });
    expect(report.status, report.message).toBe('completed');
    const saved = Object.fromEntries(report.mappings.saved.map((m) => [m.entity, m]));
    expect(Object.keys(saved).sort()).toEqual(['Contact', 'Fulfillment']);
    expect(['getPerson', 'listPeople']).toContain(saved['Contact']?.action);
    // Read relative to the record inside the envelope, not through `payload.` or `errors[]`.
    const contact = Object.fromEntries(
      (saved['Contact']?.fields ?? []).map((f) => [f.cdmField, f.expression]),
    );
    expect(contact['email']).toBe('email');
    expect(contact['firstName']).toBe('first_name');
    expect(saved['Fulfillment']?.action).toBe('createShipment');
    const fulfillment = (saved['Fulfillment']?.fields ?? []).map((f) => f.cdmField);
    expect(fulfillment).toEqual(expect.arrayContaining(['trackingNumber', 'carrier']));
  }, 120_000);

  it('maps an entity the API only takes under another record from its request body', async () => {
    const h = await harness();
    const order = {
      type: 'object',
      properties: {
        id: str,
        order_number: str,
        total: { type: 'number' },
        line_items: {
          type: 'array',
          items: { type: 'object', properties: { sku: str, quantity: { type: 'integer' } } },
        },
      },
    };
    const shop = {
      openapi: '3.0.3',
      info: { title: 'Shop', version: '1' },
      servers: [{ url: 'https://api.shop.example' }],
      security: [{ key: [] }],
      paths: {
        '/orders/{id}': {
          get: { operationId: 'getOrder', parameters: idParam, responses: json(order) },
        },
        // A named view of the collection: the item read above is the record.
        '/orders/recent': {
          get: { operationId: 'recentOrders', responses: json({ type: 'array', items: order }) },
        },
        // Tracking is only ever sent, and the answer is the order again.
        '/orders/{id}/trackers': {
          post: {
            operationId: 'addTracker',
            parameters: idParam,
            requestBody: {
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      tracking_number: str,
                      carrier: str,
                      shipped_at: { type: 'string', format: 'date-time' },
                      items: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: { sku: str, quantity: { type: 'integer' } },
                        },
                      },
                    },
                  },
                },
              },
            },
            responses: json(order),
          },
        },
      },
      components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Key' } } },
    };
    const report = await runConnectorAgent({
      client: h.client,
      provider: createOfflineProvider(),
      journal: createMemoryJournal(),
      input: { source: 'shop.json', specText: JSON.stringify(shop) },
    });
    expect(report.status, report.message).toBe('completed');
    const saved = Object.fromEntries(report.mappings.saved.map((m) => [m.entity, m.action]));
    expect(saved).toEqual({ Order: 'getOrder', Fulfillment: 'addTracker' });
    const listed = await h.client.callTool({
      name: 'list_mappings',
      arguments: { connector: report.connector?.slug ?? '' },
    });
    const mappings = (listed.structuredContent as { data: Record<string, unknown>[] }).data;
    const fulfillment = mappings.find((m) => m['entity'] === 'Fulfillment');
    expect(fulfillment?.['direction']).toBe('from_canonical');
    expect(fulfillment?.['fields']).toMatchObject({
      tracking_number: 'trackingNumber',
      carrier: 'carrier',
      'items[]': 'lineItems',
      'items[].sku': 'sku',
      'items[].quantity': 'quantity',
    });
  }, 120_000);

  it('names candidates by the head noun of the path and asks more than generic fields', () => {
    const action = (path: string, cdmEntity?: string) => ({
      slug: 'a',
      method: 'GET',
      path,
      ...(cdmEntity === undefined ? {} : { cdmEntity }),
    });
    expect(priorOf(action('/users.info'), 'Contact')).toBe(2);
    expect(priorOf(action('/users.profile.get'), 'Contact')).toBe(1);
    expect(priorOf(action('/v1/customers', 'Contact'), 'Contact')).toBe(4);
    expect(priorOf(action('/fba/inventory/v1/summaries'), 'InventoryLevel')).toBe(1);
    expect(priorOf(action('/news/news_items', 'Product'), 'Product')).toBe(3);
    // An order to ship is a fulfilment, and not an order.
    expect(priorOf(action('/outbound/fulfillmentOrders/{id}'), 'Fulfillment')).toBe(2);
    expect(priorOf(action('/outbound/fulfillmentOrders/{id}'), 'Order')).toBe(0);
    expect(priorOf(action('/v1/purchase_orders'), 'Order')).toBe(2);
    // "items" says there are several; the word before it says of what, not across a parameter.
    expect(priorOf(action('/V1/stockItems/{sku}'), 'InventoryLevel')).toBe(2);
    expect(priorOf(action('/catalog/2022-04-01/items/{asin}', 'Product'), 'Product')).toBe(4);
    expect(priorOf(action('/orders/{id}/items'), 'Order')).toBe(1);
    const field = (cdmField: string, confidence = 0.9) => ({
      cdmField,
      sourcePath: cdmField,
      confidence,
    });
    const generic = [field('id'), field('name'), field('description'), field('createdAt')];
    expect(fitOf(generic, 3)).toBeNull();
    expect(fitOf(generic, 4)).not.toBeNull();
    expect(fitOf([field('email'), field('phone')], 0)).not.toBeNull();
    expect(fitOf([field('email'), field('phone', 0.66)], 2)).toBeNull();
    // Tagged and named: an id and a name are enough for a catalog item, and only then.
    expect(fitOf([field('id'), field('name')], 4)).not.toBeNull();
    expect(fitOf([field('id'), field('name')], 3)).toBeNull();
    expect(fitOf([field('name'), field('description')], 4)).toBeNull();
    // A stock level counts something: a product id and a SKU alone are not one.
    expect(definesEntity([field('productId'), field('sku')], 'InventoryLevel')).toBe(false);
    expect(definesEntity([field('sku'), field('quantityAvailable')], 'InventoryLevel')).toBe(true);
    expect(definesEntity([field('sku'), field('quantityOnHand', 0.5)], 'InventoryLevel')).toBe(
      false,
    );
    expect(definesEntity([field('name')], 'Product')).toBe(true);
  });

  it('takes the import’s tag for a candidate only when a word of the path names the entity', () => {
    const get = (slug: string, path: string, cdmEntity: string) => ({
      slug,
      method: 'GET',
      path,
      cdmEntity,
    });
    const actions = [
      // Shaped like a contact, an order and a product, but a cart's parts: junk as entities.
      get('billingAddress', '/carts/mine/billing-address', 'Contact'),
      get('getCart', '/carts/{cartId}', 'Order'),
      get('cartItems', '/carts/mine/items', 'Product'),
      // A product read by its SKU: the parameter names it.
      get('getItem', '/inventory_item/{sku}', 'Product'),
    ];
    const slugs = (entity: string) => candidatesFor(actions, entity).map((c) => c.action.slug);
    expect(slugs('Contact')).toEqual([]);
    expect(slugs('Order')).toEqual([]);
    expect(slugs('Product')).toEqual(['getItem']);
    // What the orders are of (`petId` → `/pet`) is a product, whatever the API calls it.
    const pets = [get('getPet', '/pet/{petId}', 'Product')];
    expect(candidatesFor(pets, 'Product').map((c) => c.action.slug)).toEqual([]);
    expect(candidatesFor(pets, 'Product', 'pet').map((c) => [c.action.slug, c.prior])).toEqual([
      ['getPet', 4],
    ]);
  });
});
