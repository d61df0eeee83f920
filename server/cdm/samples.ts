/**
 * Sample source records (shaped as each API's published schema describes them) and Contact
 * mappings for them, using the source paths the eval gold labels give. Tests use them for
 * round trips; the mapping tools can show them as examples.
 */
import type { Mapping } from './mapping.ts';

/** Stripe `customer` (stripe.yaml components/schemas/customer). */
export const STRIPE_CUSTOMER = {
  id: 'cus_NffrFeUfNV2Hib',
  object: 'customer',
  address: {
    city: 'London',
    country: 'GB',
    line1: '12 St James Square',
    line2: null,
    postal_code: 'SW1Y 4JH',
    state: 'Greater London',
  },
  balance: 0,
  created: 1680893993,
  currency: 'gbp',
  default_source: null,
  delinquent: false,
  description: 'Analytical Engine pilot',
  email: 'ada@example.com',
  invoice_prefix: '0759376C',
  invoice_settings: { custom_fields: null, default_payment_method: null, footer: null },
  livemode: false,
  metadata: { plan: 'pro' },
  name: 'Ada Lovelace',
  phone: '+44 20 7946 0958',
  preferred_locales: ['en-GB'],
  shipping: null,
  tax_exempt: 'none',
  test_clock: null,
};

export const STRIPE_CONTACT_TO: Mapping = {
  entity: 'Contact',
  direction: 'to_canonical',
  fields: {
    id: 'id',
    remoteId: 'id',
    connector: '"stripe"',
    fullName: 'name',
    firstName: '$splitName(name).first',
    lastName: '$splitName(name).last',
    email: 'email',
    phone: 'phone',
    addressLine1: 'address.line1',
    addressLine2: 'address.line2',
    city: 'address.city',
    region: 'address.state',
    postalCode: 'address.postal_code',
    country: 'address.country',
    createdAt: '$toIso(created)',
  },
};

export const STRIPE_CONTACT_FROM: Mapping = {
  entity: 'Contact',
  direction: 'from_canonical',
  fields: {
    id: 'remoteId',
    name: 'fullName',
    email: 'email',
    phone: 'phone',
    'address.line1': 'addressLine1',
    'address.line2': 'addressLine2',
    'address.city': 'city',
    'address.state': 'region',
    'address.postal_code': 'postalCode',
    'address.country': 'country',
    created: '$toUnix(createdAt)',
  },
};

/** HubSpot `SimplePublicObjectWithAssociations` for a contact (hubspot-crm-contacts.json). */
export const HUBSPOT_CONTACT = {
  id: '512',
  properties: {
    createdate: '2019-10-30T03:30:17.883Z',
    email: 'bcooper@biglytics.net',
    firstname: 'Bryan',
    lastname: 'Cooper',
    company: 'Biglytics',
    jobtitle: 'Head of Data',
    phone: '(877) 929-0687',
    city: 'Cambridge',
    state: 'MA',
    zip: '02139',
    country: 'United States',
    hs_object_id: '512',
    lastmodifieddate: '2019-12-07T16:50:06.678Z',
  },
  createdAt: '2019-10-30T03:30:17.883Z',
  updatedAt: '2019-12-07T16:50:06.678Z',
  archived: false,
};

export const HUBSPOT_CONTACT_TO: Mapping = {
  entity: 'Contact',
  direction: 'to_canonical',
  fields: {
    id: 'id',
    remoteId: 'id',
    connector: '"hubspot"',
    firstName: 'properties.firstname',
    lastName: 'properties.lastname',
    fullName: '$joinName(properties.firstname, properties.lastname)',
    email: 'properties.email',
    phone: 'properties.phone',
    companyName: 'properties.company',
    jobTitle: 'properties.jobtitle',
    city: 'properties.city',
    region: 'properties.state',
    postalCode: 'properties.zip',
    country: 'properties.country',
    createdAt: 'createdAt',
    updatedAt: 'updatedAt',
    emails: '[{"type": "work", "value": properties.email}]',
  },
};

export const HUBSPOT_CONTACT_FROM: Mapping = {
  entity: 'Contact',
  direction: 'from_canonical',
  fields: {
    id: 'remoteId',
    'properties.firstname': 'firstName',
    'properties.lastname': 'lastName',
    'properties.email': 'email',
    'properties.phone': 'phone',
    'properties.company': 'companyName',
    'properties.jobtitle': 'jobTitle',
    'properties.city': 'city',
    'properties.state': 'region',
    'properties.zip': 'postalCode',
    'properties.country': 'country',
    createdAt: 'createdAt',
    updatedAt: 'updatedAt',
  },
};

/** Intercom `contact` (intercom.yaml components/schemas/contact). */
export const INTERCOM_CONTACT = {
  type: 'contact',
  id: '5ba682d23d7cf92bef87bfd4',
  workspace_id: 'ecahpwf5',
  external_id: 'f3b87a2e09d514c6c2e79b9a',
  role: 'user',
  email: 'joe@example.com',
  phone: '+1123456789',
  name: 'Joe Bloggs',
  avatar: null,
  owner_id: 127,
  has_hard_bounced: false,
  marked_email_as_spam: false,
  unsubscribed_from_emails: false,
  created_at: 1571672154,
  updated_at: 1571672158,
  signed_up_at: 1571069751,
  last_seen_at: 1571069751,
  browser_language: 'en',
  language_override: null,
  location: {
    type: 'location',
    country: 'Ireland',
    region: 'Dublin',
    city: 'Dublin',
    country_code: 'IRL',
    continent_code: 'EU',
  },
  custom_attributes: { plan: 'growth', seats: 12 },
};

export const INTERCOM_CONTACT_TO: Mapping = {
  entity: 'Contact',
  direction: 'to_canonical',
  fields: {
    id: 'id',
    remoteId: 'id',
    connector: '"intercom"',
    fullName: 'name',
    firstName: '$splitName(name).first',
    lastName: '$splitName(name).last',
    email: 'email',
    phone: 'phone',
    city: 'location.city',
    region: 'location.region',
    country: 'location.country',
    createdAt: '$toIso(created_at)',
    updatedAt: '$toIso(updated_at)',
    'custom.plan': 'custom_attributes.plan',
    'custom.seats': 'custom_attributes.seats',
  },
};

export const INTERCOM_CONTACT_FROM: Mapping = {
  entity: 'Contact',
  direction: 'from_canonical',
  fields: {
    id: 'remoteId',
    name: 'fullName',
    email: 'email',
    phone: 'phone',
    'location.city': 'city',
    'location.region': 'region',
    'location.country': 'country',
    created_at: '$toUnix(createdAt)',
    updated_at: '$toUnix(updatedAt)',
    'custom_attributes.plan': 'custom.plan',
    'custom_attributes.seats': 'custom.seats',
  },
};

export const INTERCOM_CUSTOM_FIELDS = [
  { name: 'plan', type: 'string' },
  { name: 'seats', type: 'number' },
] as const;

export const CONTACT_SAMPLES = [
  { name: 'stripe', record: STRIPE_CUSTOMER, to: STRIPE_CONTACT_TO, from: STRIPE_CONTACT_FROM },
  { name: 'hubspot', record: HUBSPOT_CONTACT, to: HUBSPOT_CONTACT_TO, from: HUBSPOT_CONTACT_FROM },
  {
    name: 'intercom',
    record: INTERCOM_CONTACT,
    to: INTERCOM_CONTACT_TO,
    from: INTERCOM_CONTACT_FROM,
    customFields: INTERCOM_CUSTOM_FIELDS,
  },
] as const;
