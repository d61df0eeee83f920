import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  rowCounts,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import { STRIPE_CONTACT_TO, STRIPE_CUSTOMER } from '../../cdm/samples.ts';

describe.each(TEST_DRIVERS)('canonical data model API (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let other: SeededOrg;
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown, key?: string) =>
    t.app.inject({
      method,
      url,
      headers: withKey(key ?? org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    org = await seedOrg(t, 'Mapper');
    other = await seedOrg(t, 'Other');
    for (const o of [org, other]) {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/connectors/import-definition',
        headers: withKey(o.liveKey),
        payload: {
          weftConnector: 1,
          connector: {
            slug: o === org ? 'stripe_like' : 'theirs',
            name: 'S',
            baseUrl: 'https://api.example.com',
          },
          actions: [
            {
              slug: 'getCustomer',
              name: 'Get a customer',
              method: 'GET',
              path: '/customers/{id}',
              parameters: [{ name: 'id', in: 'path', required: true }],
              cdmEntity: 'Contact',
              outputSchema: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  name: { type: 'string' },
                  email: { type: 'string', format: 'email' },
                  phone: { type: 'string' },
                  created: { type: 'integer', format: 'unix-time' },
                  address: {
                    type: 'object',
                    properties: {
                      line1: { type: 'string' },
                      city: { type: 'string' },
                      postal_code: { type: 'string' },
                      country: { type: 'string' },
                    },
                  },
                },
              },
            },
          ],
        },
      });
    }
  });
  afterAll(() => t.close());

  it('lists entities and serves their schema with custom fields', async () => {
    const entities = await call('GET', '/api/v1/cdm/entities');
    expect(entities.json<{ data: { name: string }[] }>().data.map((e) => e.name)).toEqual([
      'Contact',
      'Product',
      'Order',
      'Invoice',
      'InventoryLevel',
      'Fulfillment',
    ]);
    expect(
      (
        await call('POST', '/api/v1/cdm/custom-fields', {
          entity: 'Contact',
          field: { name: 'loyaltyTier', type: 'string' },
        })
      ).statusCode,
    ).toBe(201);
    const schema = await call('GET', '/api/v1/cdm/schema?entity=Contact');
    expect(JSON.stringify(schema.json())).toContain('loyaltyTier');
    const theirs = await call('GET', '/api/v1/cdm/schema?entity=Contact', undefined, other.liveKey);
    expect(JSON.stringify(theirs.json())).not.toContain('loyaltyTier');
    const typo = await call('GET', '/api/v1/cdm/schema?entity=Contcat');
    expect(typo.statusCode).toBe(404);
    expect(typo.body).toContain("did you mean 'Contact'");
  });

  it('suggests a mapping from an action’s output schema', async () => {
    const res = await call('POST', '/api/v1/cdm/suggest', {
      connector: 'stripe_like',
      action: 'getCustomer',
    });
    expect(res.statusCode, res.body).toBe(200);
    const fields = Object.fromEntries(
      res
        .json<{ fields: { cdmField: string; sourcePath: string }[] }>()
        .fields.map((f) => [f.cdmField, f.sourcePath]),
    );
    expect(fields).toMatchObject({
      email: 'email',
      fullName: 'name',
      city: 'address.city',
      postalCode: 'address.postal_code',
      createdAt: 'created',
    });
  });

  it('suggests on one record of a list action, and preview flags a mapping that maps nothing', async () => {
    const customer = {
      type: 'object',
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        email: { type: 'string', format: 'email' },
        created: { type: 'integer', format: 'unix-time' },
      },
    };
    const created = await call('POST', '/api/v1/connectors/import-definition', {
      weftConnector: 1,
      connector: { slug: 'lister', name: 'Lister', baseUrl: 'https://api.example.com' },
      actions: [
        {
          // A Stripe-style list envelope, declared without pagination.
          slug: 'listCustomers',
          name: 'List customers',
          method: 'GET',
          path: '/customers',
          cdmEntity: 'Contact',
          outputSchema: {
            type: 'object',
            properties: {
              object: { type: 'string' },
              data: { type: 'array', items: customer },
              has_more: { type: 'boolean' },
              url: { type: 'string' },
            },
          },
        },
        {
          slug: 'allCustomers',
          name: 'All customers',
          method: 'GET',
          path: '/all-customers',
          cdmEntity: 'Contact',
          outputSchema: { type: 'array', items: customer },
        },
        {
          // An order with line items is one record, not a list.
          slug: 'getOrder',
          name: 'Get an order',
          method: 'GET',
          path: '/orders/1',
          cdmEntity: 'Order',
          outputSchema: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              email: { type: 'string' },
              items: {
                type: 'array',
                items: { type: 'object', properties: { sku: { type: 'string' } } },
              },
            },
          },
        },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    type Suggestion = {
      recordPath: string | null;
      note?: string;
      fields: { cdmField: string; sourcePath: string; evidence: string[] }[];
    };
    const suggest = async (action: string, samples?: unknown[]) => {
      const res = await call('POST', '/api/v1/cdm/suggest', {
        connector: 'lister',
        action,
        ...(samples && { samples }),
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<Suggestion>();
      return {
        ...body,
        paths: Object.fromEntries(body.fields.map((f) => [f.cdmField, f.sourcePath])),
      };
    };

    const listed = await suggest('listCustomers');
    expect(listed.recordPath).toBe('data[]');
    expect(listed.note).toMatch(/listCustomers returns a list \(records at data\[\]\)/);
    expect(listed.paths).toMatchObject({ email: 'email', fullName: 'name', createdAt: 'created' });
    expect(Object.values(listed.paths).some((p) => p.startsWith('data'))).toBe(false);
    // Samples given as whole responses are read record by record.
    const sampled = await suggest('listCustomers', [
      { object: 'list', data: [{ id: 'c1', email: 'not an email' }], has_more: false },
    ]);
    expect(sampled.fields.find((f) => f.cdmField === 'email')?.evidence).toContain(
      '0 of 1 sample values look like an email address',
    );
    expect((await suggest('allCustomers')).recordPath).toBe('[]');
    const order = await suggest('getOrder');
    expect(order.recordPath).toBeNull();
    expect(order.note).toBeUndefined();

    // The mapping an agent saved from the old envelope paths maps nothing per record.
    const saved = await call('POST', '/api/v1/cdm/mappings', {
      connector: 'lister',
      entity: 'Contact',
      direction: 'to_canonical',
      fields: { email: 'data[].email', fullName: 'data[].name', raw: '$' },
    });
    expect(saved.statusCode, saved.body).toBe(201);
    const record = { id: 'c1', name: 'Ada', email: 'ada@example.com', created: 1680893993 };
    const preview = async (fields?: Record<string, string>) => {
      const res = await call('POST', '/api/v1/cdm/preview', {
        connector: 'lister',
        entity: 'Contact',
        direction: 'to_canonical',
        record,
        ...(fields && { fields }),
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ data: { field: string; result: unknown }[]; warnings: string[] }>();
    };
    const empty = await preview();
    expect(empty.data.find((r) => r.field === 'email')?.result).toBeUndefined();
    expect(empty.warnings).toHaveLength(1);
    expect(empty.warnings[0]).toMatch(
      /^the to_canonical mapping lister × Contact maps nothing from this record: every target came out empty\. The record's fields are id, name, email, created\./,
    );
    // The suggested paths, relative to one record, map it.
    const good = await preview(
      Object.fromEntries(listed.fields.map((f) => [f.cdmField, f.sourcePath])),
    );
    expect(good.warnings).toEqual([]);
    expect(good.data.find((r) => r.field === 'email')?.result).toBe('ada@example.com');
  });

  it('saves versions, diffs them, previews and applies, and refuses bad mappings without saving', async () => {
    const v1 = await call('POST', '/api/v1/cdm/mappings', {
      connector: 'stripe_like',
      entity: 'Contact',
      direction: 'to_canonical',
      fields: STRIPE_CONTACT_TO.fields,
    });
    expect(v1.statusCode, v1.body).toBe(201);
    expect(v1.json<{ version: number }>().version).toBe(1);
    const v2 = await call('POST', '/api/v1/cdm/mappings', {
      connector: 'stripe_like',
      entity: 'Contact',
      direction: 'to_canonical',
      fields: { ...STRIPE_CONTACT_TO.fields, jobTitle: '"Owner"' },
    });
    expect(v2.json<{ version: number }>().version).toBe(2);
    const latest = await call(
      'GET',
      '/api/v1/cdm/mappings?connector=stripe_like&entity=Contact&direction=to_canonical',
    );
    expect(latest.json()).toMatchObject({ version: 2, versions: [2, 1] });
    const diff = await call(
      'GET',
      '/api/v1/cdm/mappings/diff?connector=stripe_like&entity=Contact&direction=to_canonical&from=1&to=2',
    );
    expect(diff.json()).toMatchObject({ added: ['jobTitle'], removed: [], changed: [] });

    const before = await rowCounts(t);
    const bad: [Record<string, string>, RegExp][] = [
      [{ email: 'email +* ]' }, /email/],
      [{ favouriteColour: 'color' }, /favouriteColour/],
    ];
    for (const [fields, message] of bad) {
      const res = await call('POST', '/api/v1/cdm/mappings', {
        connector: 'stripe_like',
        entity: 'Contact',
        direction: 'to_canonical',
        fields,
      });
      expect(res.statusCode).toBe(422);
      expect(res.body).toMatch(message);
    }
    expect(await rowCounts(t)).toEqual(before);

    const preview = await call('POST', '/api/v1/cdm/preview', {
      connector: 'stripe_like',
      entity: 'Contact',
      direction: 'to_canonical',
      record: STRIPE_CUSTOMER,
    });
    const rows = preview.json<{ data: { field: string; result: unknown }[] }>().data;
    expect(rows.find((r) => r.field === 'email')?.result).toBe(STRIPE_CUSTOMER.email);
    const applied = await call('POST', '/api/v1/cdm/apply', {
      connector: 'stripe_like',
      entity: 'Contact',
      direction: 'to_canonical',
      records: [STRIPE_CUSTOMER, STRIPE_CUSTOMER],
    });
    const results = applied.json<{
      data: { value: Record<string, unknown>; errors: unknown[] }[];
    }>().data;
    expect(results).toHaveLength(2);
    expect(results[0]?.errors).toEqual([]);
    expect(results[0]?.value).toMatchObject({ email: STRIPE_CUSTOMER.email, jobTitle: 'Owner' });
  });

  it('applies a customer override on top of the org mapping, for that customer only', async () => {
    const customer = await call('POST', '/api/v1/customers', { name: 'Overrider' });
    const customerId = customer.json<{ id: string }>().id;
    const set = await call('POST', '/api/v1/cdm/overrides', {
      connector: 'stripe_like',
      entity: 'Contact',
      direction: 'to_canonical',
      customerId,
      fields: { jobTitle: '"Founder"' },
    });
    expect(set.statusCode, set.body).toBe(200);
    const mine = await call('POST', '/api/v1/cdm/apply', {
      connector: 'stripe_like',
      entity: 'Contact',
      direction: 'to_canonical',
      customerId,
      records: [STRIPE_CUSTOMER],
    });
    expect(mine.json<{ data: { value: { jobTitle: string } }[] }>().data[0]?.value.jobTitle).toBe(
      'Founder',
    );
    const org = await call('POST', '/api/v1/cdm/apply', {
      connector: 'stripe_like',
      entity: 'Contact',
      direction: 'to_canonical',
      records: [STRIPE_CUSTOMER],
    });
    expect(org.json<{ data: { value: { jobTitle: string } }[] }>().data[0]?.value.jobTitle).toBe(
      'Owner',
    );
  });

  it('keeps mappings to each org', async () => {
    for (const url of [
      '/api/v1/cdm/mappings?connector=stripe_like&entity=Contact&direction=to_canonical',
    ]) {
      const res = await call('GET', url, undefined, other.liveKey);
      expect(res.statusCode).toBe(404);
    }
    const res = await call(
      'POST',
      '/api/v1/cdm/suggest',
      { connector: 'stripe_like', action: 'getCustomer' },
      other.liveKey,
    );
    expect(res.statusCode).toBe(404);
    const theirs = await call(
      'POST',
      '/api/v1/cdm/mappings',
      {
        connector: 'stripe_like',
        entity: 'Contact',
        direction: 'to_canonical',
        fields: { email: 'email' },
      },
      other.liveKey,
    );
    expect(theirs.statusCode).toBe(404);
  });
});
