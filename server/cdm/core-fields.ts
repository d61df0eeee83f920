import type { CdmEntity } from '../domain/cdm.ts';

/**
 * The core fields every CDM entity carries (the names gold labels and mappings use), with what
 * the deterministic mapper needs to recognise them in a source schema: name synonyms, the kind
 * of value expected, and the parent objects that make a match more (or less) likely.
 */

/** What a field's value looks like; decides which schema types and sample values fit. */
export type FieldKind =
  | 'id'
  | 'text'
  | 'email'
  | 'phone'
  | 'url'
  | 'datetime'
  | 'date'
  | 'money'
  | 'quantity'
  | 'currency'
  | 'status'
  | 'country';

export interface CoreField {
  /** The CDM name, `lineItems[].x` for fields of a line item. */
  name: string;
  kind: FieldKind;
  /**
   * Source names that mean this field, written as lowercase words (`created at` matches
   * `created_at`, `createdAt` and `CreatedAt`). The first ones are the strongest.
   */
  synonyms: readonly string[];
  /** Names that only count with the right parent (`line 1` under an address). */
  weakSynonyms?: readonly string[];
  /** Parent object names that make this field likely (`address` for `city`). */
  context?: readonly string[];
}

/** Parent names of postal addresses. */
export const ADDRESS_CONTEXT: readonly string[] = [
  'address',
  'addresses',
  'location',
  'bill addr',
  'billing address',
  'billing',
  'shipping address',
  'ship to',
  'billing details',
];

const CREATED_AT: CoreField = {
  name: 'createdAt',
  kind: 'datetime',
  synonyms: [
    'created at',
    'created',
    'date created',
    'create date',
    'create time',
    'created time',
    'creation date',
    'creation time',
    'created on',
    'created date',
    'inserted at',
    'date added',
    // Orders are "placed", not "created", in many commerce APIs.
    'placed at',
    'date placed',
    'ordered at',
    'order date',
  ],
  context: ['meta data', 'metadata', 'meta'],
};

const UPDATED_AT: CoreField = {
  name: 'updatedAt',
  kind: 'datetime',
  synonyms: [
    'updated at',
    'updated',
    'date modified',
    'modify date',
    'modified',
    'modified at',
    'modified time',
    'modified date',
    'modified on',
    'update time',
    'updated time',
    'last updated time',
    'last updated',
    'last modified',
    'last modified time',
    'last modified date',
    'updated on',
  ],
  context: ['meta data', 'metadata', 'meta'],
};

const CURRENCY: CoreField = {
  name: 'currency',
  kind: 'currency',
  synonyms: ['currency', 'currency code', 'currency ref', 'currency iso code', 'iso currency code'],
};

const STATUS: CoreField = {
  name: 'status',
  kind: 'status',
  synonyms: ['status', 'state'],
};

const LINE_QUANTITY: CoreField = {
  name: 'lineItems[].quantity',
  kind: 'quantity',
  synonyms: ['quantity', 'qty', 'qty ordered', 'quantity ordered', 'units', 'count'],
};

const LINE_UNIT_PRICE: CoreField = {
  name: 'lineItems[].unitPrice',
  kind: 'money',
  synonyms: ['unit price', 'unit amount', 'price', 'precise unit amount', 'unit cost', 'rate'],
  weakSynonyms: ['amount'],
  context: ['price'],
};

const LINE_SKU: CoreField = {
  name: 'lineItems[].sku',
  kind: 'text',
  synonyms: ['sku', 'seller sku', 'merchant sku', 'item sku'],
};

export const CORE_FIELDS: Readonly<Record<CdmEntity, readonly CoreField[]>> = {
  Contact: [
    {
      name: 'id',
      kind: 'id',
      synonyms: ['id', 'gid', 'uuid', 'customer id', 'contact id', 'user id', 'person id'],
    },
    {
      name: 'firstName',
      kind: 'text',
      synonyms: ['first name', 'firstname', 'given name', 'forename'],
    },
    {
      name: 'lastName',
      kind: 'text',
      synonyms: ['last name', 'lastname', 'family name', 'surname'],
    },
    {
      name: 'fullName',
      kind: 'text',
      synonyms: ['name', 'full name', 'display name', 'real name', 'fullname'],
    },
    {
      name: 'email',
      kind: 'email',
      synonyms: ['email', 'e mail', 'email address', 'primary email', 'primary email addr', 'mail'],
      context: ['primary email addr', 'email', 'person', 'profile'],
    },
    {
      name: 'phone',
      kind: 'phone',
      synonyms: [
        'phone',
        'phone number',
        'telephone',
        'primary phone',
        'mobile',
        'mobile phone',
        'tel',
      ],
      context: ['primary phone', 'phone', 'profile'],
    },
    {
      name: 'companyName',
      kind: 'text',
      synonyms: ['company', 'company name', 'organization', 'organisation', 'legal name'],
    },
    {
      name: 'jobTitle',
      kind: 'text',
      synonyms: ['job title', 'title', 'position', 'job'],
    },
    {
      name: 'addressLine1',
      kind: 'text',
      synonyms: [
        'address line 1',
        'address 1',
        'street 1',
        'street',
        'street address',
        'line 1',
        'address',
      ],
      context: ADDRESS_CONTEXT,
    },
    {
      name: 'city',
      kind: 'text',
      synonyms: ['city', 'town', 'locality'],
      context: ADDRESS_CONTEXT,
    },
    {
      name: 'region',
      kind: 'text',
      synonyms: [
        'region',
        'state',
        'province',
        'county',
        'state province region',
        'state or province',
        'sub division code',
        'subdivision',
      ],
      context: ADDRESS_CONTEXT,
    },
    {
      name: 'postalCode',
      kind: 'text',
      synonyms: ['postal code', 'postcode', 'zip', 'zip code', 'zipcode', 'post code'],
      context: ADDRESS_CONTEXT,
    },
    {
      name: 'country',
      kind: 'country',
      synonyms: ['country', 'country code', 'country id', 'country iso code'],
      context: ADDRESS_CONTEXT,
    },
    CREATED_AT,
    UPDATED_AT,
  ],
  Product: [
    {
      name: 'id',
      kind: 'id',
      synonyms: ['id', 'gid', 'uuid', 'product id', 'item id'],
    },
    {
      name: 'name',
      kind: 'text',
      synonyms: ['name', 'title', 'product name', 'item name', 'display name'],
      context: ['product', 'summaries'],
    },
    {
      name: 'description',
      kind: 'text',
      synonyms: ['description', 'body html', 'long description', 'product description'],
      context: ['product'],
    },
    {
      name: 'sku',
      kind: 'text',
      synonyms: ['sku', 'seller sku', 'merchant sku', 'item sku'],
    },
    {
      name: 'price',
      kind: 'money',
      synonyms: ['price', 'unit price', 'list price', 'regular price', 'unit amount'],
    },
    CURRENCY,
    {
      name: 'status',
      kind: 'status',
      synonyms: ['status', 'state', 'product status'],
      weakSynonyms: ['active'],
    },
    CREATED_AT,
    UPDATED_AT,
  ],
  Order: [
    {
      name: 'id',
      kind: 'id',
      synonyms: ['id', 'gid', 'uuid', 'order id', 'entity id'],
    },
    {
      name: 'orderNumber',
      kind: 'text',
      synonyms: ['order number', 'number', 'increment id', 'order no', 'reference', 'order key'],
    },
    {
      name: 'customerId',
      kind: 'id',
      synonyms: ['customer id', 'customer', 'payer id', 'buyer id', 'customer ref', 'user id'],
    },
    {
      name: 'customerEmail',
      kind: 'email',
      synonyms: ['customer email', 'email', 'email address', 'buyer email', 'payer email'],
      context: ['customer', 'payer', 'buyer', 'user', 'billing', 'billing address'],
    },
    { ...STATUS, synonyms: ['status', 'state', 'order status'] },
    CURRENCY,
    {
      name: 'totalAmount',
      kind: 'money',
      synonyms: [
        'total',
        'grand total',
        'total amount',
        'amount total',
        'total price',
        'order total',
        'total amt',
      ],
      weakSynonyms: ['amount'],
    },
    {
      name: 'subtotalAmount',
      kind: 'money',
      synonyms: ['subtotal', 'sub total', 'item total', 'subtotal amount', 'subtotal price'],
    },
    {
      name: 'taxAmount',
      kind: 'money',
      synonyms: ['tax', 'tax amount', 'tax total', 'total tax', 'tax amt'],
    },
    {
      name: 'lineItems[].productId',
      kind: 'id',
      synonyms: ['product id', 'variant id', 'item id'],
    },
    LINE_SKU,
    LINE_QUANTITY,
    LINE_UNIT_PRICE,
    CREATED_AT,
    UPDATED_AT,
  ],
  Invoice: [
    {
      name: 'id',
      kind: 'id',
      synonyms: ['id', 'gid', 'uuid', 'invoice id', 'entity id'],
    },
    {
      name: 'invoiceNumber',
      kind: 'text',
      synonyms: ['invoice number', 'number', 'doc number', 'increment id', 'invoice no'],
    },
    {
      name: 'customerId',
      kind: 'id',
      synonyms: ['customer id', 'customer', 'customer ref', 'contact id'],
    },
    { ...STATUS, synonyms: ['status', 'state', 'invoice status'] },
    CURRENCY,
    {
      name: 'totalAmount',
      kind: 'money',
      synonyms: [
        'total',
        'grand total',
        'total amount',
        'amount total',
        'total amt',
        'total amount cents',
      ],
    },
    {
      name: 'amountDue',
      kind: 'money',
      synonyms: ['amount due', 'balance', 'balance due', 'due amount', 'amount remaining'],
    },
    {
      name: 'amountPaid',
      kind: 'money',
      synonyms: ['amount paid', 'paid amount', 'total paid'],
    },
    {
      name: 'issueDate',
      kind: 'date',
      synonyms: ['issue date', 'issued at', 'issuing date', 'invoice date', 'txn date', 'date'],
    },
    {
      name: 'dueDate',
      kind: 'date',
      synonyms: ['due date', 'due at', 'payment due date', 'due on'],
    },
    {
      name: 'lineItems[].description',
      kind: 'text',
      synonyms: ['description', 'name', 'item description'],
    },
    LINE_QUANTITY,
    LINE_UNIT_PRICE,
    CREATED_AT,
  ],
  InventoryLevel: [
    {
      name: 'productId',
      kind: 'id',
      synonyms: ['product id', 'asin', 'item id', 'variant id'],
      context: ['identity'],
    },
    {
      name: 'sku',
      kind: 'text',
      synonyms: ['sku', 'seller sku', 'merchant sku'],
      context: ['identity'],
    },
    {
      name: 'locationId',
      kind: 'id',
      synonyms: ['location id', 'warehouse id', 'fulfillment center id', 'source code'],
    },
    {
      name: 'quantityAvailable',
      kind: 'quantity',
      synonyms: [
        'quantity available',
        'available quantity',
        'available',
        'available to sell',
        'fulfillable quantity',
        'qty available',
        'quantity',
        'qty',
      ],
      context: ['inventory details', 'availability', 'ship to location availability'],
    },
    {
      name: 'quantityOnHand',
      kind: 'quantity',
      synonyms: [
        'quantity on hand',
        'on hand',
        'onhand',
        'total inventory onhand',
        'total quantity',
        'stock quantity',
        'qty',
      ],
    },
    UPDATED_AT,
  ],
  Fulfillment: [
    {
      name: 'id',
      kind: 'id',
      synonyms: ['id', 'gid', 'uuid', 'shipment id', 'fulfillment id', 'fulfillment order id'],
    },
    {
      name: 'orderId',
      kind: 'id',
      synonyms: ['order id', 'order'],
    },
    {
      name: 'status',
      kind: 'status',
      synonyms: ['status', 'state', 'shipment status', 'fulfillment status'],
    },
    {
      name: 'trackingNumber',
      kind: 'text',
      synonyms: ['tracking number', 'track number', 'tracking code', 'tracking id', 'tracking'],
    },
    {
      name: 'trackingUrl',
      kind: 'url',
      synonyms: ['tracking url', 'tracking link', 'track url'],
    },
    {
      name: 'carrier',
      kind: 'text',
      synonyms: ['carrier', 'carrier code', 'carrier name', 'shipping carrier'],
    },
    {
      name: 'shippedAt',
      kind: 'datetime',
      synonyms: ['shipped at', 'ship date', 'shipping date', 'shipment date', 'shipped date'],
    },
    LINE_SKU,
    { ...LINE_QUANTITY, synonyms: ['quantity', 'qty', 'quantity shipped', 'shipped quantity'] },
  ],
};

/** Array names under which line items live (`items[]`, `line_items[]`, `lines.data[]`). */
export const LINE_ITEM_CONTAINERS: readonly string[] = [
  'line items',
  'items',
  'lines',
  'order lines',
  'entries',
  'products',
  'fees',
  'order items',
  'shipment items',
  'line',
];
