import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CDM_ENTITIES,
  coreFields,
  entityJsonSchema,
  entitySchema,
  withCustomFields,
  type CdmEntity,
} from './entities.ts';
import { fromMinor, joinName, mapEnum, splitName, toIso, toMinor, toUnix } from './helpers.ts';
import { compileMapping, preview, readPath, validateMapping, type Mapping } from './mapping.ts';
import { CONTACT_SAMPLES } from './samples.ts';

function readmeCoreFields(): Map<string, string[]> {
  const text = readFileSync(new URL('../../evals/data/README.md', import.meta.url), 'utf8');
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\|\s*(\w+)\s*\|\s*([^|]+)\|\s*$/.exec(line);
    if (!m || m[1] === 'entity') continue;
    out.set(
      m[1]!,
      m[2]!.split(',').map((f) => f.trim()),
    );
  }
  return out;
}

function fieldPaths(node: Record<string, unknown>, prefix = ''): string[] {
  const props = node['properties'] as Record<string, Record<string, unknown>> | undefined;
  if (!props) return [];
  return Object.entries(props).flatMap(([name, raw]) => {
    const anyOf = raw['anyOf'] as Record<string, unknown>[] | undefined;
    const child = anyOf?.find((b) => b['type'] !== 'null') ?? raw;
    const path = prefix + name;
    const items = child['items'] as Record<string, unknown> | undefined;
    return [
      path,
      ...fieldPaths(child, `${path}.`),
      ...(items ? fieldPaths(items, `${path}[].`) : []),
    ];
  });
}

describe('entities', () => {
  it('carry every core field of the eval README under its exact name', () => {
    const readme = readmeCoreFields();
    expect([...readme.keys()].sort()).toEqual([...CDM_ENTITIES].sort());
    for (const entity of CDM_ENTITIES) {
      expect(coreFields(entity)).toEqual(readme.get(entity));
      const paths = fieldPaths(entityJsonSchema(entity));
      for (const field of coreFields(entity)) expect(paths, `${entity}.${field}`).toContain(field);
    }
  });

  it('export JSON Schema with typed lists, money and status enums', () => {
    const order = entityJsonSchema('Order');
    expect(order['type']).toBe('object');
    expect(JSON.stringify(order)).toContain('"other"');
    const contact = entitySchema('Contact').parse({
      emails: [{ type: 'work', value: 'a@example.com' }],
      addresses: [{ type: 'billing', line1: '1 Main St', country: 'US' }],
      createdAt: '2024-01-02T03:04:05.000Z',
    });
    expect(contact['emails']).toHaveLength(1);
    expect(entitySchema('Order').safeParse({ totalAmount: 12.5 }).success).toBe(false);
    expect(entitySchema('Order').safeParse({ currency: 'usd' }).success).toBe(false);
  });

  it('extend an entity with custom fields under `custom` without changing it', () => {
    const schema = withCustomFields({
      entity: 'Contact',
      fields: [
        { name: 'plan', type: 'string' },
        { name: 'seats', type: 'number' },
        { name: 'vip', type: 'boolean' },
        { name: 'renewsAt', type: 'date' },
        { name: 'extra', type: 'json' },
      ],
    });
    const ok = schema.safeParse({
      email: 'a@example.com',
      custom: { plan: 'pro', seats: 3, vip: true, renewsAt: '2025-01-01T00:00:00Z', extra: [1] },
    });
    expect(ok.success).toBe(true);
    expect(schema.safeParse({ custom: { seats: 'three' } }).success).toBe(false);
    expect(schema.safeParse({ custom: { unknown: 1 } }).success).toBe(false);
    expect(entitySchema('Contact').shape['custom']).toBeUndefined();
    expect(() =>
      withCustomFields({ entity: 'Contact', fields: [{ name: '1bad', type: 'string' }] }),
    ).toThrow();
  });
});

describe('helpers', () => {
  it('toIso reads ISO strings, dates, unix seconds and milliseconds', () => {
    expect(toIso('2024-05-01T10:00:00+02:00')).toBe('2024-05-01T08:00:00.000Z');
    expect(toIso('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
    expect(toIso(1680893993)).toBe('2023-04-07T18:59:53.000Z');
    expect(toIso(1680893993123)).toBe('2023-04-07T18:59:53.123Z');
    expect(toIso('1680893993')).toBe('2023-04-07T18:59:53.000Z');
    expect(toIso(undefined)).toBeUndefined();
    expect(toIso(null)).toBeNull();
    expect(() => toIso('yesterday')).toThrow(/as a date/);
    expect(toUnix('2023-04-07T18:59:53.000Z')).toBe(1680893993);
  });

  it('toMinor and fromMinor respect currency exponents', () => {
    expect(toMinor(19.99, 'USD')).toBe(1999);
    expect(toMinor('19.99', 'eur')).toBe(1999);
    expect(toMinor(1500, 'JPY')).toBe(1500);
    expect(toMinor(1.234, 'KWD')).toBe(1234);
    expect(fromMinor(1999, 'USD')).toBe(19.99);
    expect(fromMinor(1500, 'JPY')).toBe(1500);
    expect(fromMinor(1234, 'KWD')).toBe(1.234);
    expect(() => toMinor(1, 'dollars')).toThrow(/ISO 4217/);
    expect(() => toMinor('abc', 'USD')).toThrow(/amount/);
  });

  it('mapEnum, splitName and joinName', () => {
    const table = { canceled: 'cancelled', paid: 'paid' };
    expect(mapEnum('canceled', table, 'other')).toBe('cancelled');
    expect(mapEnum('PAID', table, 'other')).toBe('paid');
    expect(mapEnum('weird', table, 'other')).toBe('other');
    expect(splitName('Ada King Lovelace')).toEqual({ first: 'Ada', last: 'King Lovelace' });
    expect(splitName('Cher')).toEqual({ first: 'Cher' });
    expect(joinName('Ada', 'Lovelace')).toBe('Ada Lovelace');
    expect(joinName(undefined, 'Lovelace')).toBe('Lovelace');
  });

  it('are callable from expressions, on the fast path and through JSONata alike', async () => {
    const mapping: Mapping = {
      entity: 'Order',
      direction: 'to_canonical',
      fields: {
        totalAmount: '$toMinor(total, currency)',
        subtotalAmount: '$toMinor($number(total) - tax, currency)',
        currency: '$uppercase(currency)',
        status: '$mapEnum(state, {"canceled": "cancelled"}, "other")',
        createdAt: '$toIso(created)',
      },
    };
    const { value, errors } = await compileMapping(mapping).apply({
      total: '12.50',
      tax: 2.5,
      currency: 'eur',
      state: 'canceled',
      created: 1700000000,
    });
    expect(errors).toEqual([]);
    expect(value).toEqual({
      totalAmount: 1250,
      subtotalAmount: 1000,
      currency: 'EUR',
      status: 'cancelled',
      createdAt: '2023-11-14T22:13:20.000Z',
    });
  });
});

describe('mapping', () => {
  it.each(CONTACT_SAMPLES)('round-trips a $name contact', async (sample) => {
    const customFields = 'customFields' in sample ? sample.customFields : undefined;
    const to = compileMapping(customFields ? { mapping: sample.to, customFields } : sample.to);
    const canonical = await to.apply(sample.record);
    expect(canonical.errors).toEqual([]);
    expect(canonical.value['id']).toBe(sample.record.id);
    const back = await compileMapping(sample.from).apply(canonical.value);
    expect(back.errors).toEqual([]);
    for (const path of Object.keys(sample.from.fields)) {
      expect(readPath({ record: back.value, path }), path).toEqual(
        readPath({ record: sample.record, path }),
      );
    }
  });

  it('maps arrays per element with a `[]` source context, or whole', async () => {
    const perItem: Mapping = {
      entity: 'Order',
      direction: 'to_canonical',
      fields: {
        id: 'id',
        'lineItems[]': 'line_items',
        'lineItems[].sku': 'sku',
        'lineItems[].quantity': 'qty',
        'lineItems[].unitPrice': '$toMinor(price, $record.currency)',
        'lineItems[].productId': 'product.id',
      },
    };
    const record = {
      id: 7,
      currency: 'USD',
      line_items: [
        { sku: 'A', qty: '2', price: 1.5, product: { id: 'p1' } },
        { sku: 'B', qty: 1, price: 3, product: { id: 'p2' } },
      ],
    };
    const result = await compileMapping(perItem).apply(record);
    expect(result.errors).toEqual([]);
    expect(result.value).toEqual({
      id: '7',
      lineItems: [
        { sku: 'A', quantity: 2, unitPrice: 150, productId: 'p1' },
        { sku: 'B', quantity: 1, unitPrice: 300, productId: 'p2' },
      ],
    });
    const whole: Mapping = {
      entity: 'Order',
      direction: 'to_canonical',
      fields: { lineItems: 'line_items.{"sku": sku, "quantity": qty}' },
    };
    const wholeResult = await compileMapping(whole).apply(record);
    // A whole array is validated but not coerced: only per-element fields are.
    expect(wholeResult.value['lineItems']).toEqual([
      { sku: 'A', quantity: '2' },
      { sku: 'B', quantity: 1 },
    ]);
    expect(wholeResult.errors).toMatchObject([
      { field: 'lineItems[0].quantity', expression: whole.fields['lineItems'] },
    ]);
    const rows = await preview({ mapping: perItem, record });
    expect(rows.find((r) => r.field === 'lineItems[].sku')).toMatchObject({
      source: ['A', 'B'],
      result: ['A', 'B'],
    });
  });

  it('refuses invalid expressions and unknown fields, naming the field', () => {
    const errors = validateMapping({
      mapping: {
        entity: 'Contact',
        direction: 'to_canonical',
        fields: {
          email: 'email.(',
          favouriteColour: 'colour',
          'custom.plan': 'plan',
          'lineItems[].sku': 'sku',
        },
      },
    });
    expect(errors.map((e) => e.field)).toEqual([
      'email',
      'favouriteColour',
      'custom.plan',
      'lineItems[].sku',
      'lineItems[].sku',
    ]);
    expect(errors[0]!.message).toMatch(/invalid JSONata expression/);
    expect(errors[1]!.message).toBe('Contact has no field "favouriteColour"');
    expect(() =>
      compileMapping({ entity: 'Contact', direction: 'to_canonical', fields: { nope: 'x' } }),
    ).toThrow(/nope: Contact has no field/);
    expect(
      validateMapping({
        mapping: { entity: 'Contact', direction: 'to_canonical', fields: { 'custom.plan': 'p' } },
        customFields: [{ name: 'plan', type: 'string' }],
      }),
    ).toEqual([]);
  });

  it('reports uncoercible values and helper failures per field without throwing', async () => {
    const mapping: Mapping = {
      entity: 'Order',
      direction: 'to_canonical',
      fields: {
        id: 'id',
        totalAmount: 'total',
        taxAmount: 'tax',
        createdAt: '$toIso(created)',
        status: 'state',
      },
    };
    const { value, errors } = await compileMapping(mapping).apply({
      id: 'o1',
      total: 'lots',
      tax: 1.5,
      created: 'someday',
      state: 'shipped-ish',
    });
    expect(value['id']).toBe('o1');
    const byField = Object.fromEntries(errors.map((e) => [e.field, e]));
    expect(byField['totalAmount']).toMatchObject({
      expression: 'total',
      message: 'cannot coerce "lots" to a number',
    });
    expect(byField['taxAmount']!.message).toMatch(/integer/);
    expect(byField['createdAt']!.message).toMatch(/as a date/);
    expect(byField['status']).toMatchObject({ expression: 'state' });
    const rows = await preview({ mapping, record: { id: 'o1', total: 'lots' } });
    expect(rows.find((r) => r.field === 'totalAmount')).toMatchObject({
      source: 'lots',
      error: 'totalAmount: cannot coerce "lots" to a number',
    });
  });

  it('falls back to JSONata where a plain path meets an array', async () => {
    const mapping: Mapping = {
      entity: 'Contact',
      direction: 'to_canonical',
      fields: { email: 'emails[0].value', phone: 'phones.value' },
    };
    const { value } = await compileMapping(mapping).apply({
      emails: [{ value: 'a@example.com' }, { value: 'b@example.com' }],
      phones: [{ value: '+1' }],
    });
    expect(value).toEqual({ email: 'a@example.com', phone: '+1' });
  });

  it('applies a mapping to 1,000 records', async () => {
    const sample = CONTACT_SAMPLES[0];
    const records = Array.from({ length: 1000 }, (_, i) => ({
      ...sample.record,
      id: `cus_${i}`,
      created: sample.record.created + i,
    }));
    const results = await compileMapping(sample.to).applyMany(records);
    expect(results).toHaveLength(1000);
    expect(results.every((r) => r.errors.length === 0)).toBe(true);
    expect(results[999]!.value['id']).toBe('cus_999');
  });

  it('knows every entity', () => {
    for (const entity of CDM_ENTITIES satisfies readonly CdmEntity[]) {
      const mapping: Mapping = { entity, direction: 'to_canonical', fields: { updatedAt: 'u' } };
      expect(validateMapping({ mapping })).toEqual([]);
    }
  });
});

describe('the compiled fast path', () => {
  it('gives the same results as JSONata, including $record inside line items', async () => {
    const { compileMapping } = await import('./mapping.ts');
    const fields = {
      id: 'id',
      currency: 'currency',
      totalAmount: '$toMinor(total, currency)',
      createdAt: '$toIso(created_at)',
      'lineItems[]': 'line_items',
      'lineItems[].sku': 'sku',
      'lineItems[].quantity': 'quantity',
      'lineItems[].unitPrice': '$toMinor(price, $record.currency)',
    };
    const slow = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, `(${v})`]));
    const records = [
      {
        id: 'o1',
        currency: 'JPY',
        total: '1200',
        created_at: 1700000000,
        line_items: [{ sku: 'A', quantity: 2, price: '600' }],
      },
      {
        id: 'o2',
        currency: 'EUR',
        total: 12.5,
        created_at: '2024-01-02T03:04:05Z',
        line_items: [
          { sku: 'B', quantity: '1', price: 12.5 },
          { sku: 'C', quantity: 3, price: '0.99' },
        ],
      },
      { id: 'o3', currency: 'KWD', total: '1.234', created_at: null, line_items: [] },
    ];
    const fast = await compileMapping({
      entity: 'Order',
      direction: 'to_canonical',
      fields,
    }).applyMany(records);
    const reference = await compileMapping({
      entity: 'Order',
      direction: 'to_canonical',
      fields: slow,
    }).applyMany(records);
    expect(fast).toEqual(reference);
    expect(fast[0]?.value).toMatchObject({
      totalAmount: 1200,
      lineItems: [{ sku: 'A', quantity: 2, unitPrice: 600 }],
    });
    expect(fast[1]?.value).toMatchObject({ lineItems: [{ unitPrice: 1250 }, { unitPrice: 99 }] });
  });
});
