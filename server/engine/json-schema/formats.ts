/**
 * The `format` names the validator checks, each on the JSON types it describes (`int32` on
 * numbers, `date` on strings). Any other name is an annotation: never an error. The standard
 * string formats come from @cfworker/json-schema (its validator is not used: see
 * server/engine/json-schema.ts); `standardFormat` throws at load if a name we rely on is gone,
 * so an upgrade cannot silently stop checking one.
 */
import { format as standardFormats } from '@cfworker/json-schema';
import type { JsonType } from './values.ts';

interface FormatCheck {
  /** The JSON types the format describes; values of other types are not its concern. */
  types: readonly JsonType[];
  test: (value: string | number) => boolean;
  message: string;
}

function standardFormat(name: string): (value: string | number) => boolean {
  const test = Object.hasOwn(standardFormats, name) ? standardFormats[name] : undefined;
  if (test === undefined)
    throw new Error(`@cfworker/json-schema no longer provides format ${name}`);
  return (value) => typeof value === 'string' && test(value);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DECIMAL = /^-?(?:\d+(?:\.\d+)?|\.\d+)$/;
const ANYTHING = (): boolean => true;

export const FORMATS: ReadonlyMap<string, FormatCheck> = new Map<string, FormatCheck>([
  [
    'date-time',
    {
      types: ['string'],
      test: standardFormat('date-time'),
      message: 'must be an RFC 3339 date-time, such as 2024-01-31T12:00:00Z',
    },
  ],
  [
    'date',
    {
      types: ['string'],
      test: standardFormat('date'),
      message: 'must be a date, such as 2024-01-31',
    },
  ],
  [
    'time',
    {
      types: ['string'],
      test: standardFormat('time'),
      message: 'must be an RFC 3339 time with an offset, such as 12:00:00Z',
    },
  ],
  [
    'email',
    { types: ['string'], test: standardFormat('email'), message: 'must be an email address' },
  ],
  ['uri', { types: ['string'], test: standardFormat('uri'), message: 'must be an absolute URI' }],
  ['uuid', { types: ['string'], test: standardFormat('uuid'), message: 'must be a UUID' }],
  ['ipv4', { types: ['string'], test: standardFormat('ipv4'), message: 'must be an IPv4 address' }],
  ['ipv6', { types: ['string'], test: standardFormat('ipv6'), message: 'must be an IPv6 address' }],
  [
    'byte',
    {
      types: ['string'],
      test: (s) => typeof s === 'string' && s.length % 4 === 0 && BASE64.test(s),
      message: 'must be base64-encoded',
    },
  ],
  ['binary', { types: [], test: ANYTHING, message: '' }],
  ['password', { types: [], test: ANYTHING, message: '' }],
  [
    'int32',
    {
      types: ['number'],
      test: (n) => Number.isInteger(n) && Number(n) >= -(2 ** 31) && Number(n) < 2 ** 31,
      message: 'must be a 32-bit integer',
    },
  ],
  [
    'int64',
    {
      types: ['number'],
      test: (n) => Number.isInteger(n) && Number(n) >= -(2 ** 63) && Number(n) < 2 ** 63,
      message: 'must be a 64-bit integer',
    },
  ],
  [
    'float',
    {
      types: ['number'],
      test: (n) => Math.abs(Number(n)) <= 3.4028234663852886e38,
      message: 'must fit a 32-bit float',
    },
  ],
  [
    'double',
    { types: ['number'], test: (n) => Number.isFinite(n), message: 'must be a finite number' },
  ],
  [
    // Stripe: a timestamp in whole seconds.
    'unix-time',
    {
      types: ['number'],
      test: (n) => Number.isInteger(n) && Number(n) >= 0,
      message: 'must be a Unix time in whole seconds (an integer >= 0)',
    },
  ],
  [
    // Stripe: a decimal number, sent as a string to keep its precision (or as a number).
    'decimal',
    {
      types: ['string', 'number'],
      test: (v) => typeof v === 'number' || DECIMAL.test(v),
      message: 'must be a decimal number, such as 12.5',
    },
  ],
]);
