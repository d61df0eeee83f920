/**
 * The Canonical Data Model: six entities every connector maps to and from.
 *
 * Each entity carries flat "core" fields (the ones the eval gold labels name, so a mapping
 * proposed for any API can be scored field by field) and, beside them, richer typed lists
 * (emails, phones, addresses) for sources that hold more than one of each. Every field is
 * optional and nullable: sources differ in what they carry, and a null from the source must
 * survive a round trip as null rather than disappear.
 *
 * Money is an integer amount in the currency's minor units plus an ISO 4217 code; timestamps
 * are ISO 8601 strings with an offset; statuses are closed enums with an `other` escape.
 */
import { z } from 'zod';
import { CDM_ENTITIES, type CdmEntity } from '../domain/cdm.ts';

export { CDM_ENTITIES, type CdmEntity };

export function isCdmEntity(name: string): name is CdmEntity {
  return (CDM_ENTITIES as readonly string[]).includes(name);
}

const opt = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

const text = z.string();
const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time with offset');
const minorAmount = z.number().int().describe('Amount in the minor units of `currency`');
const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD')
  .describe('ISO 4217 currency code, upper case');
const quantity = z.number();

export const CONTACT_POINT_TYPES = [
  'work',
  'home',
  'billing',
  'shipping',
  'mobile',
  'other',
] as const;
const contactPointType = z.enum(CONTACT_POINT_TYPES);

export const TypedValueSchema = z.object({ type: contactPointType, value: z.string() });

export const AddressSchema = z.object({
  type: opt(contactPointType),
  line1: opt(text),
  line2: opt(text),
  city: opt(text),
  region: opt(text).describe('State, province or county'),
  postalCode: opt(text),
  country: opt(text).describe('ISO 3166-1 alpha-2 where the source gives one'),
});

// Identity and provenance shared by every entity. `id` is what the gold labels map the source
// identifier to; `remoteId` keeps the source's identifier when the two differ.
const base = {
  id: opt(text),
  remoteId: opt(text),
  connector: opt(text).describe('Slug of the connector the record came from'),
  raw: opt(z.record(z.string(), z.unknown())).describe('The source record as received'),
};

export const ContactSchema = z.object({
  ...base,
  firstName: opt(text),
  lastName: opt(text),
  fullName: opt(text),
  email: opt(text).describe('Primary email address'),
  phone: opt(text).describe('Primary phone number'),
  companyName: opt(text),
  jobTitle: opt(text),
  addressLine1: opt(text),
  addressLine2: opt(text),
  city: opt(text),
  region: opt(text),
  postalCode: opt(text),
  country: opt(text),
  emails: opt(z.array(TypedValueSchema)),
  phones: opt(z.array(TypedValueSchema)),
  addresses: opt(z.array(AddressSchema)),
  createdAt: opt(timestamp),
  updatedAt: opt(timestamp),
});

export const PRODUCT_STATUSES = ['active', 'draft', 'archived', 'other'] as const;

export const ProductSchema = z.object({
  ...base,
  name: opt(text),
  description: opt(text),
  sku: opt(text),
  barcode: opt(text),
  price: opt(minorAmount),
  currency: opt(currency),
  status: opt(z.enum(PRODUCT_STATUSES)),
  categories: opt(z.array(z.string())),
  createdAt: opt(timestamp),
  updatedAt: opt(timestamp),
});

export const ORDER_STATUSES = [
  'pending',
  'open',
  'paid',
  'partially_fulfilled',
  'fulfilled',
  'cancelled',
  'refunded',
  'other',
] as const;

export const OrderLineItemSchema = z.object({
  id: opt(text),
  productId: opt(text),
  sku: opt(text),
  name: opt(text),
  quantity: opt(quantity),
  unitPrice: opt(minorAmount),
  totalAmount: opt(minorAmount),
});

export const OrderSchema = z.object({
  ...base,
  orderNumber: opt(text),
  customerId: opt(text),
  customerEmail: opt(text),
  status: opt(z.enum(ORDER_STATUSES)),
  currency: opt(currency),
  totalAmount: opt(minorAmount),
  subtotalAmount: opt(minorAmount),
  taxAmount: opt(minorAmount),
  shippingAmount: opt(minorAmount),
  discountAmount: opt(minorAmount),
  lineItems: opt(z.array(OrderLineItemSchema)),
  billingAddress: opt(AddressSchema),
  shippingAddress: opt(AddressSchema),
  createdAt: opt(timestamp),
  updatedAt: opt(timestamp),
});

export const INVOICE_STATUSES = [
  'draft',
  'open',
  'paid',
  'overdue',
  'void',
  'uncollectible',
  'other',
] as const;

export const InvoiceLineItemSchema = z.object({
  id: opt(text),
  productId: opt(text),
  description: opt(text),
  quantity: opt(quantity),
  unitPrice: opt(minorAmount),
  totalAmount: opt(minorAmount),
});

export const InvoiceSchema = z.object({
  ...base,
  invoiceNumber: opt(text),
  customerId: opt(text),
  status: opt(z.enum(INVOICE_STATUSES)),
  currency: opt(currency),
  totalAmount: opt(minorAmount),
  subtotalAmount: opt(minorAmount),
  taxAmount: opt(minorAmount),
  amountDue: opt(minorAmount),
  amountPaid: opt(minorAmount),
  issueDate: opt(timestamp),
  dueDate: opt(timestamp),
  lineItems: opt(z.array(InvoiceLineItemSchema)),
  createdAt: opt(timestamp),
  updatedAt: opt(timestamp),
});

export const InventoryLevelSchema = z.object({
  ...base,
  productId: opt(text),
  sku: opt(text),
  locationId: opt(text),
  quantityAvailable: opt(quantity),
  quantityOnHand: opt(quantity),
  quantityReserved: opt(quantity),
  updatedAt: opt(timestamp),
});

export const FULFILLMENT_STATUSES = [
  'pending',
  'shipped',
  'in_transit',
  'delivered',
  'cancelled',
  'failed',
  'other',
] as const;

export const FulfillmentLineItemSchema = z.object({
  orderLineItemId: opt(text),
  productId: opt(text),
  sku: opt(text),
  quantity: opt(quantity),
});

export const FulfillmentSchema = z.object({
  ...base,
  orderId: opt(text),
  status: opt(z.enum(FULFILLMENT_STATUSES)),
  trackingNumber: opt(text),
  trackingUrl: opt(text),
  carrier: opt(text),
  shippedAt: opt(timestamp),
  deliveredAt: opt(timestamp),
  lineItems: opt(z.array(FulfillmentLineItemSchema)),
  createdAt: opt(timestamp),
  updatedAt: opt(timestamp),
});

const SCHEMAS = {
  Contact: ContactSchema,
  Product: ProductSchema,
  Order: OrderSchema,
  Invoice: InvoiceSchema,
  InventoryLevel: InventoryLevelSchema,
  Fulfillment: FulfillmentSchema,
} as const satisfies Record<CdmEntity, z.ZodObject>;

export type Contact = z.infer<typeof ContactSchema>;
export type Product = z.infer<typeof ProductSchema>;
export type Order = z.infer<typeof OrderSchema>;
export type Invoice = z.infer<typeof InvoiceSchema>;
export type InventoryLevel = z.infer<typeof InventoryLevelSchema>;
export type Fulfillment = z.infer<typeof FulfillmentSchema>;

// The fields every gold label may name, as the eval README lists them; a test keeps the two equal.
const CORE_FIELDS: Record<CdmEntity, readonly string[]> = {
  Contact: [
    'id',
    'firstName',
    'lastName',
    'fullName',
    'email',
    'phone',
    'companyName',
    'jobTitle',
    'addressLine1',
    'city',
    'region',
    'postalCode',
    'country',
    'createdAt',
    'updatedAt',
  ],
  Product: [
    'id',
    'name',
    'description',
    'sku',
    'price',
    'currency',
    'status',
    'createdAt',
    'updatedAt',
  ],
  Order: [
    'id',
    'orderNumber',
    'customerId',
    'customerEmail',
    'status',
    'currency',
    'totalAmount',
    'subtotalAmount',
    'taxAmount',
    'lineItems[].productId',
    'lineItems[].sku',
    'lineItems[].quantity',
    'lineItems[].unitPrice',
    'createdAt',
    'updatedAt',
  ],
  Invoice: [
    'id',
    'invoiceNumber',
    'customerId',
    'status',
    'currency',
    'totalAmount',
    'amountDue',
    'amountPaid',
    'issueDate',
    'dueDate',
    'lineItems[].description',
    'lineItems[].quantity',
    'lineItems[].unitPrice',
    'createdAt',
  ],
  InventoryLevel: [
    'productId',
    'sku',
    'locationId',
    'quantityAvailable',
    'quantityOnHand',
    'updatedAt',
  ],
  Fulfillment: [
    'id',
    'orderId',
    'status',
    'trackingNumber',
    'trackingUrl',
    'carrier',
    'shippedAt',
    'lineItems[].sku',
    'lineItems[].quantity',
  ],
};

export function entitySchema(name: CdmEntity): z.ZodObject {
  return SCHEMAS[name];
}

export function coreFields(name: CdmEntity): string[] {
  return [...CORE_FIELDS[name]];
}

export type JsonSchema = Record<string, unknown>;

export function entityJsonSchema(name: CdmEntity): JsonSchema {
  return z.toJSONSchema(SCHEMAS[name]);
}

export const CUSTOM_FIELD_TYPES = ['string', 'number', 'boolean', 'date', 'json'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];
export interface CustomField {
  name: string;
  type: CustomFieldType;
}

export const CustomFieldSchema = z.object({
  name: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      'use letters, digits and underscores, not starting with a digit',
    ),
  type: z.enum(CUSTOM_FIELD_TYPES),
});

function customFieldSchema(type: CustomFieldType): z.ZodType {
  switch (type) {
    case 'string':
      return z.string();
    case 'number':
      return z.number();
    case 'boolean':
      return z.boolean();
    case 'date':
      return timestamp;
    case 'json':
      return z.unknown();
  }
}

/**
 * An organisation's custom fields sit under `custom` on an extended copy of the entity, so the
 * shared entity stays the same for every tenant and core field names can never be shadowed.
 */
export function withCustomFields({
  entity,
  fields,
}: {
  entity: CdmEntity;
  fields: readonly CustomField[];
}): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const field of fields) {
    const parsed = CustomFieldSchema.parse(field);
    shape[parsed.name] = opt(customFieldSchema(parsed.type));
  }
  return SCHEMAS[entity].extend({ custom: z.object(shape).strict().optional() });
}
