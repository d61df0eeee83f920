/**
 * `npm run bench -- cdm`: records per second mapped to a canonical Order on one core, for
 * realistic ~50-field source records, with every expression compiled once up front.
 *
 * Two rows: the mapping as written (mostly plain paths, which the engine compiles to direct
 * property access, plus helper calls) and the same mapping forced through JSONata by wrapping
 * each expression so it is no longer a plain path, to show what the fast path is worth.
 */
import { compileMapping, type Mapping } from '../server/cdm/mapping.ts';
import { formatTable } from './table.ts';

export interface CdmRow {
  target: string;
  fields: number;
  recordsPerSec: number;
  usPerRecord: number;
}

function sourceRecord(i: number): Record<string, unknown> {
  return {
    id: 4500000000 + i,
    name: `#${1000 + i}`,
    order_number: 1000 + i,
    email: `buyer${i}@example.com`,
    created_at: '2024-03-01T10:00:00-05:00',
    updated_at: '2024-03-02T11:30:00-05:00',
    processed_at: '2024-03-01T10:00:05-05:00',
    currency: 'USD',
    presentment_currency: 'USD',
    financial_status: i % 7 === 0 ? 'refunded' : 'paid',
    fulfillment_status: i % 3 === 0 ? null : 'fulfilled',
    total_price: '129.95',
    subtotal_price: '119.95',
    total_tax: '10.00',
    total_discounts: '0.00',
    total_shipping: '5.00',
    note: null,
    tags: 'vip, repeat',
    test: false,
    confirmed: true,
    buyer_accepts_marketing: false,
    customer: {
      id: 7000 + i,
      email: `buyer${i}@example.com`,
      first_name: 'Ada',
      last_name: 'Lovelace',
    },
    billing_address: {
      first_name: 'Ada',
      last_name: 'Lovelace',
      address1: '12 St James Square',
      address2: null,
      city: 'London',
      province: 'Greater London',
      zip: 'SW1Y 4JH',
      country_code: 'GB',
      phone: '+44 20 7946 0958',
    },
    shipping_address: {
      first_name: 'Ada',
      last_name: 'Lovelace',
      address1: '12 St James Square',
      address2: null,
      city: 'London',
      province: 'Greater London',
      zip: 'SW1Y 4JH',
      country_code: 'GB',
      phone: '+44 20 7946 0958',
    },
    line_items: [
      { id: 1, product_id: 11, sku: 'SKU-1', title: 'Engine', quantity: 1, price: '99.95' },
      { id: 2, product_id: 12, sku: 'SKU-2', title: 'Punch cards', quantity: 4, price: '5.00' },
    ],
  };
}

const MAPPING: Mapping = {
  entity: 'Order',
  direction: 'to_canonical',
  fields: {
    id: 'id',
    remoteId: 'id',
    connector: '"shopify"',
    orderNumber: 'name',
    customerId: 'customer.id',
    customerEmail: 'email',
    status: '$mapEnum(financial_status, {"paid": "paid", "refunded": "refunded"}, "other")',
    currency: 'currency',
    totalAmount: '$toMinor(total_price, currency)',
    subtotalAmount: '$toMinor(subtotal_price, currency)',
    taxAmount: '$toMinor(total_tax, currency)',
    shippingAmount: '$toMinor(total_shipping, currency)',
    discountAmount: '$toMinor(total_discounts, currency)',
    'billingAddress.line1': 'billing_address.address1',
    'billingAddress.line2': 'billing_address.address2',
    'billingAddress.city': 'billing_address.city',
    'billingAddress.region': 'billing_address.province',
    'billingAddress.postalCode': 'billing_address.zip',
    'billingAddress.country': 'billing_address.country_code',
    'shippingAddress.line1': 'shipping_address.address1',
    'shippingAddress.line2': 'shipping_address.address2',
    'shippingAddress.city': 'shipping_address.city',
    'shippingAddress.region': 'shipping_address.province',
    'shippingAddress.postalCode': 'shipping_address.zip',
    'shippingAddress.country': 'shipping_address.country_code',
    'lineItems[]': 'line_items',
    'lineItems[].id': 'id',
    'lineItems[].productId': 'product_id',
    'lineItems[].sku': 'sku',
    'lineItems[].name': 'title',
    'lineItems[].quantity': 'quantity',
    'lineItems[].unitPrice': '$toMinor(price, $record.currency)',
    createdAt: '$toIso(created_at)',
    updatedAt: '$toIso(updated_at)',
  },
};

// `(x)` is the same value as `x` but is a block, not a plain path, so JSONata evaluates it.
function jsonataOnly(mapping: Mapping): Mapping {
  const fields = Object.fromEntries(Object.entries(mapping.fields).map(([k, v]) => [k, `(${v})`]));
  return { ...mapping, fields };
}

async function measure({
  mapping,
  records,
}: {
  mapping: Mapping;
  records: Record<string, unknown>[];
}): Promise<{ recordsPerSec: number; usPerRecord: number }> {
  const compiled = compileMapping(mapping);
  await compiled.applyMany(records.slice(0, Math.min(2000, records.length)));
  const started = performance.now();
  const results = await compiled.applyMany(records);
  const seconds = (performance.now() - started) / 1000;
  const failed = results.find((r) => r.errors.length > 0);
  if (failed) throw new Error(`bench mapping failed: ${JSON.stringify(failed.errors)}`);
  return { recordsPerSec: records.length / seconds, usPerRecord: (seconds * 1e6) / records.length };
}

export async function runCdmBench({
  records = 50_000,
  log,
}: {
  records?: number;
  log: (s: string) => void;
}): Promise<CdmRow[]> {
  const input = Array.from({ length: records }, (_, i) => sourceRecord(i));
  const fields = Object.keys(MAPPING.fields).length;
  log(`cdm: mapping ${records} records, ${fields} target fields`);
  const fast = await measure({ mapping: MAPPING, records: input });
  const slow = await measure({ mapping: jsonataOnly(MAPPING), records: input.slice(0, 5000) });
  return [
    { target: 'compiled (fast path)', fields, ...fast },
    { target: 'JSONata only', fields, ...slow },
  ];
}

export function cdmTable(rows: CdmRow[]): string {
  const head = ['target', 'fields', 'records/s', 'µs/record'];
  const cells = rows.map((r) => [
    r.target,
    String(r.fields),
    r.recordsPerSec.toFixed(0),
    r.usPerRecord.toFixed(1),
  ]);
  return formatTable({ head, rows: cells });
}
