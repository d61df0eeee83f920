import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { AppError } from '../errors.ts';
import {
  compileSchema,
  SCHEMA_LIMITS,
  schemaCacheSize,
  type SchemaDialect,
  type SchemaIssue,
} from './json-schema.ts';

function errorsOf(schema: unknown, value: unknown, dialect?: SchemaDialect): SchemaIssue[] {
  const result = compileSchema(schema, dialect === undefined ? {} : { dialect }).validate(value);
  return result.valid ? [] : result.errors;
}

function isValid(schema: unknown, value: unknown, dialect?: SchemaDialect): boolean {
  return errorsOf(schema, value, dialect).length === 0;
}

function compileFailure(schema: unknown, dialect?: SchemaDialect): AppError {
  try {
    compileSchema(schema, dialect === undefined ? {} : { dialect });
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the schema to be refused');
}

const LIMIT = [{ path: '', message: 'input too complex to validate', keyword: 'limit' }];

describe('keywords', () => {
  it('reports type with an article and every allowed type', () => {
    expect(errorsOf({ type: 'string' }, 5)).toEqual([
      { path: '', message: 'must be a string', keyword: 'type' },
    ]);
    expect(errorsOf({ type: ['integer', 'null'] }, 1.5)).toEqual([
      { path: '', message: 'must be an integer or null', keyword: 'type' },
    ]);
    expect(errorsOf({ type: ['object', 'array', 'boolean'] }, 'x')[0]?.message).toBe(
      'must be an object, an array or a boolean',
    );
    expect(isValid({ type: 'integer' }, 3.0)).toBe(true);
    expect(isValid({ type: 'number' }, 3)).toBe(true);
    expect(isValid({ type: 'array' }, {})).toBe(false);
    expect(isValid({ type: 'object' }, [])).toBe(false);
    expect(isValid({ type: 'object' }, null)).toBe(false);
  });

  it('points required, additionalProperties and nested failures at the property', () => {
    const schema = {
      type: 'object',
      required: ['customer'],
      properties: {
        customer: {
          type: 'object',
          required: ['email', 'name'],
          properties: { email: { type: 'string' }, name: { type: 'string' } },
          additionalProperties: false,
        },
      },
    };
    expect(errorsOf(schema, {})).toEqual([
      { path: '/customer', message: 'is required', keyword: 'required' },
    ]);
    expect(errorsOf(schema, { customer: { email: 42, extra: true } })).toEqual([
      { path: '/customer/name', message: 'is required', keyword: 'required' },
      { path: '/customer/email', message: 'must be a string', keyword: 'type' },
      {
        path: '/customer/extra',
        message: 'is not an allowed property',
        keyword: 'additionalProperties',
      },
    ]);
    expect(isValid(schema, { customer: { email: 'a@b.co', name: 'A' } })).toBe(true);
  });

  it('escapes JSON pointer segments', () => {
    const schema = { properties: { 'a/b': { properties: { '~c': { type: 'string' } } } } };
    expect(errorsOf(schema, { 'a/b': { '~c': 1 } })).toEqual([
      { path: '/a~1b/~0c', message: 'must be a string', keyword: 'type' },
    ]);
  });

  it('checks enum and const by JSON equality', () => {
    expect(errorsOf({ enum: ['a', 'b', 3] }, 'c')).toEqual([
      { path: '', message: 'must be one of: "a", "b", 3', keyword: 'enum' },
    ]);
    expect(isValid({ enum: [{ a: [1, 2] }] }, { a: [1, 2] })).toBe(true);
    expect(isValid({ enum: [{ a: [1, 2] }] }, { a: [2, 1] })).toBe(false);
    expect(errorsOf({ const: { x: 1, y: 2 } }, { y: 2, x: 1 })).toEqual([]);
    expect(errorsOf({ const: 'fixed' }, 'other')).toEqual([
      { path: '', message: 'must be equal to "fixed"', keyword: 'const' },
    ]);
  });

  it('checks numeric bounds and multipleOf', () => {
    const schema = {
      properties: {
        n: { minimum: 1, maximum: 10 },
        x: { exclusiveMinimum: 0, exclusiveMaximum: 1 },
        m: { multipleOf: 0.01 },
      },
    };
    expect(errorsOf(schema, { n: 0, x: 1, m: 0.125 })).toEqual([
      { path: '/n', message: 'must be >= 1', keyword: 'minimum' },
      { path: '/x', message: 'must be < 1', keyword: 'exclusiveMaximum' },
      { path: '/m', message: 'must be a multiple of 0.01', keyword: 'multipleOf' },
    ]);
    expect(errorsOf(schema, { n: 11, x: 0 }).map((e) => e.message)).toEqual([
      'must be <= 10',
      'must be > 0',
    ]);
    expect(isValid(schema, { n: 10, x: 0.5, m: 19.99 })).toBe(true);
    expect(isValid({ multipleOf: 0.1 }, 0.3)).toBe(true);
    // Bounds only concern numbers.
    expect(isValid({ minimum: 5 }, 'short')).toBe(true);
  });

  it('counts string length in characters, not UTF-16 units', () => {
    expect(errorsOf({ minLength: 3 }, 'ab')).toEqual([
      { path: '', message: 'must be at least 3 characters long', keyword: 'minLength' },
    ]);
    expect(errorsOf({ maxLength: 1 }, 'ab')).toEqual([
      { path: '', message: 'must be at most 1 character long', keyword: 'maxLength' },
    ]);
    expect(isValid({ maxLength: 2 }, '😀😀')).toBe(true);
    expect(isValid({ minLength: 3 }, '😀😀')).toBe(false);
  });

  it('checks array items, tuples and sizes', () => {
    expect(
      errorsOf({ type: 'array', items: { type: 'integer' }, minItems: 3 }, [1, 'two']),
    ).toEqual([
      { path: '/1', message: 'must be an integer', keyword: 'type' },
      { path: '', message: 'must have at least 3 items', keyword: 'minItems' },
    ]);
    expect(errorsOf({ maxItems: 1 }, [1, 2])).toEqual([
      { path: '', message: 'must have at most 1 item', keyword: 'maxItems' },
    ]);
    const tuple = { items: [{ type: 'string' }, { type: 'number' }], additionalItems: false };
    expect(errorsOf(tuple, ['a', 'b', true], '2019-09')).toEqual([
      { path: '/1', message: 'must be a number', keyword: 'type' },
      { path: '', message: 'must have at most 2 items', keyword: 'additionalItems' },
    ]);
    const prefix = { prefixItems: [{ const: 'x' }], items: { type: 'boolean' } };
    expect(isValid(prefix, ['x', true, false])).toBe(true);
    expect(errorsOf(prefix, ['x', 1])).toEqual([
      { path: '/1', message: 'must be a boolean', keyword: 'type' },
    ]);
    expect(errorsOf({ uniqueItems: true }, [{ a: 1, b: 2 }, 3, { b: 2, a: 1 }])).toEqual([
      {
        path: '',
        message: 'must not contain duplicates (items 0 and 2 are equal)',
        keyword: 'uniqueItems',
      },
    ]);
    expect(isValid({ uniqueItems: true }, [1, '1', [1], { 1: 1 }])).toBe(true);
    expect(errorsOf({ contains: { type: 'string' } }, [1, 2])).toEqual([
      {
        path: '',
        message: 'must contain at least 1 item matching the contains schema',
        keyword: 'contains',
      },
    ]);
    expect(isValid({ contains: { type: 'string' }, maxContains: 1 }, ['a', 'b'])).toBe(false);
  });

  it('explains anyOf by the closest branch, or by the types it allows', () => {
    const address = {
      properties: {
        address: {
          anyOf: [
            { type: 'object', properties: { city: { type: 'string' } } },
            { type: 'string', enum: [''] },
          ],
        },
      },
    };
    expect(errorsOf(address, { address: { city: 5 } })).toEqual([
      { path: '/address', message: 'must match at least one schema in anyOf', keyword: 'anyOf' },
      { path: '/address/city', message: 'must be a string', keyword: 'type' },
    ]);
    expect(errorsOf(address, { address: 5 })).toEqual([
      { path: '/address', message: 'must be an object or a string', keyword: 'anyOf' },
    ]);
    expect(isValid(address, { address: '' })).toBe(true);
    expect(isValid(address, { address: { city: 'Paris' } })).toBe(true);
  });

  it('requires exactly one oneOf branch', () => {
    const schema = { oneOf: [{ type: 'integer' }, { minimum: 2 }] };
    expect(isValid(schema, 1)).toBe(true);
    expect(isValid(schema, 2.5)).toBe(true);
    expect(errorsOf(schema, 3)).toEqual([
      {
        path: '',
        message: 'must match exactly one schema in oneOf, but matches 0 and 1',
        keyword: 'oneOf',
      },
    ]);
    expect(errorsOf(schema, 1.5)).toEqual([
      { path: '', message: 'must match exactly one schema in oneOf', keyword: 'oneOf' },
      { path: '', message: 'must be >= 2', keyword: 'minimum' },
    ]);
  });

  it('reports every failing allOf branch', () => {
    const schema = { allOf: [{ required: ['a'] }, { properties: { b: { type: 'string' } } }] };
    expect(errorsOf(schema, { b: 1 })).toEqual([
      { path: '/a', message: 'is required', keyword: 'required' },
      { path: '/b', message: 'must be a string', keyword: 'type' },
    ]);
  });

  it('supports not, if/then/else, dependencies, propertyNames and property counts', () => {
    expect(errorsOf({ not: { type: 'null' } }, null)).toEqual([
      { path: '', message: 'must not match the schema in not', keyword: 'not' },
    ]);
    const conditional = {
      if: { properties: { kind: { const: 'card' } } },
      then: { required: ['number'] },
      else: { required: ['iban'] },
    };
    expect(errorsOf(conditional, { kind: 'card' })).toEqual([
      { path: '/number', message: 'is required', keyword: 'required' },
    ]);
    expect(errorsOf(conditional, { kind: 'sepa' })).toEqual([
      { path: '/iban', message: 'is required', keyword: 'required' },
    ]);
    expect(errorsOf({ dependentRequired: { card: ['cvc'] } }, { card: '4242' })).toEqual([
      { path: '/cvc', message: 'is required when card is present', keyword: 'dependentRequired' },
    ]);
    expect(isValid({ dependencies: { a: { required: ['b'] } } }, { a: 1 }, '7')).toBe(false);
    expect(errorsOf({ propertyNames: { pattern: '^[a-z]+$' } }, { ok: 1, Bad: 2 })).toEqual([
      {
        path: '/Bad',
        message: 'is not an allowed property name: it must match the pattern ^[a-z]+$',
        keyword: 'propertyNames',
      },
    ]);
    expect(errorsOf({ minProperties: 2 }, { a: 1 })[0]?.message).toBe(
      'must have at least 2 properties',
    );
    expect(errorsOf({ maxProperties: 1 }, { a: 1, b: 2 })[0]?.message).toBe(
      'must have at most 1 property',
    );
  });

  it('matches patternProperties and leaves the rest to additionalProperties', () => {
    const schema = {
      patternProperties: { '^x-': { type: 'string' } },
      additionalProperties: { type: 'number' },
    };
    expect(errorsOf(schema, { 'x-a': 1, b: 'no', c: 2 })).toEqual([
      { path: '/x-a', message: 'must be a string', keyword: 'type' },
      { path: '/b', message: 'must be a number', keyword: 'type' },
    ]);
  });

  it('supports unevaluatedProperties across allOf and $ref (2019-09+)', () => {
    const schema = {
      $defs: { base: { properties: { id: { type: 'string' } } } },
      allOf: [{ $ref: '#/$defs/base' }],
      properties: { name: { type: 'string' } },
      unevaluatedProperties: false,
    };
    expect(isValid(schema, { id: 'a', name: 'b' })).toBe(true);
    expect(errorsOf(schema, { id: 'a', other: 1 })).toEqual([
      { path: '/other', message: 'is not an allowed property', keyword: 'unevaluatedProperties' },
    ]);
    expect(errorsOf({ prefixItems: [true], unevaluatedItems: false }, [1, 2])).toEqual([
      { path: '/1', message: 'is not allowed', keyword: 'unevaluatedItems' },
    ]);
  });

  it('treats boolean schemas as accept-all and reject-all', () => {
    expect(isValid(true, { anything: [1] })).toBe(true);
    expect(errorsOf(false, 1)).toEqual([{ path: '', message: 'is not allowed', keyword: 'false' }]);
    expect(errorsOf({ properties: { gone: false } }, { gone: 1 })).toEqual([
      { path: '/gone', message: 'is not allowed', keyword: 'false' },
    ]);
  });

  it('caps the report at 50 issues and counts the rest', () => {
    const errors = errorsOf(
      { items: { type: 'string' } },
      Array.from({ length: 60 }, (_, i) => i),
    );
    expect(errors).toHaveLength(SCHEMA_LIMITS.maxErrors + 1);
    expect(errors[49]).toEqual({ path: '/49', message: 'must be a string', keyword: 'type' });
    expect(errors[50]).toEqual({ path: '', message: '…and 10 more', keyword: 'truncated' });
  });

  it('ignores malformed keyword values instead of refusing the schema', () => {
    const schema = {
      type: 'file',
      minimum: '5',
      required: 'yes',
      properties: [],
      items: 'string',
      pattern: '(',
    };
    expect(isValid(schema, 'anything')).toBe(true);
  });
});

describe('patterns', () => {
  it('matches like RegExp#test (unanchored unless the pattern anchors)', () => {
    expect(isValid({ pattern: 'b' }, 'abc')).toBe(true);
    expect(isValid({ pattern: '^b' }, 'abc')).toBe(false);
    expect(isValid({ pattern: '^\\d{3}-\\d{4}$' }, '555-1234')).toBe(true);
    expect(isValid({ pattern: '^\\d{3}-\\d{4}$' }, '555-12345')).toBe(false);
    expect(isValid({ pattern: '^[^@\\s]+@[^@\\s]+$' }, 'a@b')).toBe(true);
    expect(isValid({ pattern: '\\bcat\\b' }, 'a cat!')).toBe(true);
    expect(isValid({ pattern: '\\bcat\\b' }, 'concat')).toBe(false);
    expect(isValid({ pattern: '^\\p{L}+$' }, '123')).toBe(true); // \p{…}: not enforced
    expect(isValid({ pattern: '^(a)\\1$' }, 'ab')).toBe(true); // backreference: not enforced
    // Valid only without the u flag (common in specs): still enforced.
    expect(isValid({ pattern: '^a\\-b$' }, 'a-b')).toBe(true);
    expect(isValid({ pattern: '^a\\-b$' }, 'a_b')).toBe(false);
  });

  it('runs catastrophic-backtracking patterns in linear time', () => {
    expect(isValid({ pattern: '^(a+)+$' }, `${'a'.repeat(5_000)}!`)).toBe(false);
    expect(isValid({ pattern: '(a|a)*b' }, 'a'.repeat(20_000))).toBe(false);
    expect(
      isValid(
        { patternProperties: { '^(\\w+\\s?)*$': { type: 'string' } } },
        { [`${'word '.repeat(2_000)}!`]: 1 },
      ),
    ).toBe(true);
  });

  it('charges long inputs to the budget', () => {
    expect(errorsOf({ pattern: '^(a|b|c|d|e|f)*$' }, 'a'.repeat(20_000_000))).toEqual(LIMIT);
  });
});

describe('OpenAPI 3.0 and dialects', () => {
  it('admits null with nullable in OpenAPI 3.0 only; 3.1 lists null in type', () => {
    const nullable = { type: 'string', nullable: true };
    expect(isValid(nullable, null, 'openapi-3.0')).toBe(true);
    expect(errorsOf(nullable, 5, 'openapi-3.0')).toEqual([
      { path: '', message: 'must be a string or null', keyword: 'type' },
    ]);
    expect(errorsOf(nullable, null, '2020-12')).toEqual([
      { path: '', message: 'must be a string', keyword: 'type' },
    ]);
    expect(isValid({ type: ['string', 'null'] }, null, '2020-12')).toBe(true);
    expect(isValid({ type: ['string', 'null'] }, null, 'openapi-3.0')).toBe(true);
    expect(isValid({ type: 'string', enum: ['a'], nullable: true }, null, 'openapi-3.0')).toBe(
      true,
    );
    // Beside a $ref or a composition, as Stripe and Intercom write it.
    const components = { schemas: { Address: { type: 'object', required: ['city'] } } };
    expect(
      isValid(
        { $ref: '#/components/schemas/Address', nullable: true, components },
        null,
        'openapi-3.0',
      ),
    ).toBe(true);
    expect(isValid({ anyOf: [{ type: 'integer' }], nullable: true }, null, 'openapi-3.0')).toBe(
      true,
    );
    expect(isValid({ $ref: '#/components/schemas/Address', components }, null, 'openapi-3.0')).toBe(
      false,
    );
  });

  it('reads the boolean exclusiveMinimum/exclusiveMaximum', () => {
    const schema = { minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: true };
    for (const dialect of ['openapi-3.0', '4'] as const) {
      expect(errorsOf(schema, 0, dialect)).toEqual([
        { path: '', message: 'must be > 0', keyword: 'exclusiveMinimum' },
      ]);
      expect(errorsOf(schema, 10, dialect)).toEqual([
        { path: '', message: 'must be < 10', keyword: 'exclusiveMaximum' },
      ]);
      expect(isValid(schema, 5, dialect)).toBe(true);
    }
    expect(isValid({ minimum: 0, exclusiveMinimum: false }, 0, 'openapi-3.0')).toBe(true);
  });

  it('ignores annotations, vendor keys and discriminator', () => {
    const schema = {
      type: 'object',
      'x-stripeBypassValidation': true,
      discriminator: { propertyName: 'kind' },
      xml: { name: 'thing' },
      externalDocs: { url: 'https://example.com' },
      example: { kind: 1 },
      properties: { 'x-request-id': { type: 'string' }, kind: { type: 'string', writeOnly: true } },
    };
    expect(isValid(schema, { kind: 'a', 'x-request-id': 'r' }, 'openapi-3.0')).toBe(true);
    // An x- *property* is still a property.
    expect(errorsOf(schema, { 'x-request-id': 1 }, 'openapi-3.0')).toEqual([
      { path: '/x-request-id', message: 'must be a string', keyword: 'type' },
    ]);
  });

  it('does not require readOnly properties in OpenAPI 3.0 input', () => {
    const components = { schemas: { Id: { type: 'string', readOnly: true } } };
    const schema = {
      type: 'object',
      required: ['id', 'created', 'name'],
      properties: {
        id: { $ref: '#/components/schemas/Id' },
        created: { type: 'integer', readOnly: true },
        name: { type: 'string' },
      },
      components,
    };
    expect(errorsOf(schema, {}, 'openapi-3.0')).toEqual([
      { path: '/name', message: 'is required', keyword: 'required' },
    ]);
    expect(errorsOf(schema, {}, '2020-12').map((e) => e.path)).toEqual([
      '/id',
      '/created',
      '/name',
    ]);
  });

  it('ignores siblings of $ref in OpenAPI 3.0 and drafts 4/7, applies them from 2019-09', () => {
    const schema = { $defs: { s: { type: 'string' } }, definitions: { s: { type: 'string' } } };
    const withSibling = (ref: string) => ({ ...schema, $ref: ref, maxLength: 1 });
    expect(isValid(withSibling('#/definitions/s'), 'long', 'openapi-3.0')).toBe(true);
    expect(isValid(withSibling('#/definitions/s'), 'long', '7')).toBe(true);
    expect(isValid(withSibling('#/$defs/s'), 'long', '2019-09')).toBe(false);
    expect(isValid(withSibling('#/$defs/s'), 'long', '2020-12')).toBe(false);
  });

  it('takes the dialect from $schema when none is given', () => {
    const draft7 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      definitions: { s: { type: 'string' } },
      $ref: '#/definitions/s',
      maxLength: 1,
    };
    expect(isValid(draft7, 'long')).toBe(true);
    expect(
      isValid({ ...draft7, $schema: 'https://json-schema.org/draft/2020-12/schema' }, 'long'),
    ).toBe(false);
  });

  it('resolves $id, $anchor and draft 4 id within the document', () => {
    const schema = {
      $id: 'https://example.com/root.json',
      $defs: {
        money: {
          $id: 'money.json',
          type: 'object',
          properties: { amount: { $ref: '#/$defs/int' } },
          $defs: { int: { type: 'integer' } },
        },
        name: { $anchor: 'name', type: 'string' },
      },
      properties: {
        price: { $ref: 'money.json' },
        label: { $ref: '#name' },
        self: { $ref: 'https://example.com/root.json#/$defs/name' },
      },
    };
    expect(errorsOf(schema, { price: { amount: 1.5 }, label: 1, self: 2 })).toEqual([
      { path: '/price/amount', message: 'must be an integer', keyword: 'type' },
      { path: '/label', message: 'must be a string', keyword: 'type' },
      { path: '/self', message: 'must be a string', keyword: 'type' },
    ]);
    const draft4 = {
      id: 'http://example.com/s.json',
      definitions: { a: { id: '#a', type: 'string' } },
      properties: { x: { $ref: '#a' } },
    };
    expect(isValid(draft4, { x: 1 }, '4')).toBe(false);
  });
});

describe('formats', () => {
  const cases: [format: string, valid: unknown[], invalid: unknown[]][] = [
    [
      'date-time',
      ['2024-01-31T12:00:00Z', '2024-02-29T23:59:59.123+02:00'],
      ['2024-01-31', '2024-13-01T00:00:00Z', '2023-02-29T00:00:00Z', '2024-01-31T12:00:00'],
    ],
    ['date', ['2024-01-31', '2024-02-29'], ['2024-1-31', '2023-02-29', '31/01/2024']],
    ['time', ['12:00:00Z', '23:59:59.5+01:00'], ['12:00', '25:00:00Z', '12:00:00']],
    [
      'email',
      ['jenny@example.com', 'a.b+c@sub.example.co'],
      ['jenny', 'a@', '@example.com', 'a b@example.com'],
    ],
    [
      'uri',
      ['https://example.com/a?b=c#d', 'urn:isbn:0451450523'],
      ['/relative/path', 'example.com', 'http://exa mple.com'],
    ],
    [
      'uuid',
      ['123e4567-e89b-12d3-a456-426614174000'],
      ['123e4567e89b12d3a456426614174000', 'not-a-uuid'],
    ],
    ['ipv4', ['192.168.0.1', '0.0.0.0'], ['256.0.0.1', '1.2.3', '::1']],
    ['ipv6', ['::1', '2001:db8::8a2e:370:7334'], ['1.2.3.4', '2001:db8:::1', 'g::1']],
    ['int32', [0, 2_147_483_647, -2_147_483_648], [2_147_483_648, -2_147_483_649, 1.5]],
    ['int64', [2 ** 53, -(2 ** 62)], [2 ** 63, 0.5]],
    ['float', [1.5, 3.4e38, -3.4e38], [3.5e38, -1e39]],
    ['double', [1.5, 1e308], []],
    ['byte', ['', 'aGVsbG8=', 'aGk=', 'YWJj'], ['aGVsbG8', 'a$==', '====', 'aGVsbG8=x']],
    ['binary', ['\u0000\u00ff', 'anything'], []],
    ['password', ['hunter2', ''], []],
    ['unix-time', [0, 1_700_000_000], [-1, 1.5]],
    ['decimal', ['12.5', '-0.001', '.5', '42', 12.5, 7], ['12.5.1', '1e3', 'abc', '', '1,5']],
  ];

  it.each(cases)('checks %s', (format, valid, invalid) => {
    for (const value of valid)
      expect(errorsOf({ format }, value), `${format}: ${JSON.stringify(value)}`).toEqual([]);
    for (const value of invalid) {
      const errors = errorsOf({ format }, value);
      expect(errors, `${format}: ${JSON.stringify(value)}`).toHaveLength(1);
      expect(errors[0]?.keyword).toBe('format');
    }
  });

  it('reads as product copy', () => {
    expect(
      errorsOf({ properties: { at: { type: 'integer', format: 'unix-time' } } }, { at: -5 }),
    ).toEqual([
      {
        path: '/at',
        message: 'must be a Unix time in whole seconds (an integer >= 0)',
        keyword: 'format',
      },
    ]);
    expect(errorsOf({ format: 'email' }, 'nope')[0]?.message).toBe('must be an email address');
  });

  it('only checks the JSON types a format describes', () => {
    expect(isValid({ format: 'date-time' }, 1_700_000_000)).toBe(true); // integer date-time (seen in specs)
    expect(isValid({ format: 'int32' }, 'abc')).toBe(true);
    expect(isValid({ format: 'unix-time' }, 'now')).toBe(true);
  });

  it('ignores unknown and vendor formats, including prototype names', () => {
    for (const format of [
      'phone-number',
      'ppaas_payer_id_v3',
      'currency',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
    ]) {
      expect(isValid({ type: 'string', format }, 'whatever'), format).toBe(true);
    }
  });
});

describe('real specs', () => {
  const specs = path.resolve(import.meta.dirname, '../../evals/data/specs');
  let stripe: { paths: Record<string, Record<string, unknown>>; components: unknown };
  let hubspot: { paths: Record<string, Record<string, unknown>>; components: unknown };
  let github: { paths: Record<string, Record<string, unknown>>; definitions: unknown };

  beforeAll(() => {
    stripe = parseYaml(readFileSync(`${specs}/stripe.yaml`, 'utf8'), {
      maxAliasCount: -1,
    }) as typeof stripe;
    hubspot = JSON.parse(
      readFileSync(`${specs}/hubspot-crm-contacts.json`, 'utf8'),
    ) as typeof hubspot;
    github = JSON.parse(readFileSync(`${specs}/github-v3-2017.json`, 'utf8')) as typeof github;
  });

  function requestSchema({
    spec,
    path,
    method,
    type,
  }: {
    spec: typeof stripe;
    path: string;
    method: string;
    type: string;
  }): Record<string, unknown> {
    const operation = spec.paths[path]?.[method] as {
      requestBody: { content: Record<string, { schema: Record<string, unknown> }> };
    };
    const schema = operation.requestBody.content[type]?.schema;
    if (schema === undefined) throw new Error(`no ${type} body for ${method} ${path}`);
    return schema;
  }

  it('validates Stripe POST /v1/customers (inline anyOf, enums, maxLength)', () => {
    const schema = requestSchema({
      spec: stripe,
      path: '/v1/customers',
      method: 'post',
      type: 'application/x-www-form-urlencoded',
    });
    const validator = compileSchema(schema, { dialect: 'openapi-3.0' });
    expect(
      validator.validate({
        email: 'jenny@example.com',
        name: 'Jenny Rosen',
        balance: -500,
        address: { city: 'Paris', line1: '1 rue de Rivoli', country: 'FR' },
        metadata: { order_id: '42' },
        tax_exempt: 'none',
        preferred_locales: ['fr', 'en'],
      }),
    ).toEqual({ valid: true });
    expect(validator.validate({ address: '', metadata: '' })).toEqual({ valid: true });
    expect(
      validator.validate({
        email: 42,
        balance: 1.5,
        tax_exempt: 'sometimes',
        address: { city: 7 },
        name: 'x'.repeat(5_001),
        surname: 'R',
      }),
    ).toEqual({
      valid: false,
      errors: [
        { path: '/email', message: 'must be a string', keyword: 'type' },
        { path: '/balance', message: 'must be an integer', keyword: 'type' },
        {
          path: '/tax_exempt',
          message: 'must be one of: "", "exempt", "none", "reverse"',
          keyword: 'enum',
        },
        { path: '/address', message: 'must match at least one schema in anyOf', keyword: 'anyOf' },
        { path: '/address/city', message: 'must be a string', keyword: 'type' },
        { path: '/name', message: 'must be at most 256 characters long', keyword: 'maxLength' },
        {
          path: '/surname',
          message: 'is not an allowed property',
          keyword: 'additionalProperties',
        },
      ],
    });
  });

  it('checks Stripe vendor formats in POST /v1/prices and /v1/subscriptions', () => {
    const prices = compileSchema(
      requestSchema({
        spec: stripe,
        path: '/v1/prices',
        method: 'post',
        type: 'application/x-www-form-urlencoded',
      }),
      { dialect: 'openapi-3.0' },
    );
    expect(prices.validate({ currency: 'eur', unit_amount_decimal: '1250.5' })).toEqual({
      valid: true,
    });
    expect(prices.validate({ currency: 'eur', unit_amount_decimal: '12,50' })).toEqual({
      valid: false,
      errors: [
        {
          path: '/unit_amount_decimal',
          message: 'must be a decimal number, such as 12.5',
          keyword: 'format',
        },
      ],
    });
    const subscriptions = compileSchema(
      requestSchema({
        spec: stripe,
        path: '/v1/subscriptions',
        method: 'post',
        type: 'application/x-www-form-urlencoded',
      }),
      { dialect: 'openapi-3.0' },
    );
    expect(
      subscriptions.validate({
        customer: 'cus_1',
        trial_end: 'now',
        billing_cycle_anchor: 1_700_000_000,
      }),
    ).toEqual({ valid: true });
    expect(
      subscriptions.validate({ customer: 'cus_1', trial_end: -1, billing_cycle_anchor: -1 }),
    ).toEqual({
      valid: false,
      errors: [
        {
          path: '/trial_end',
          message: 'must match at least one schema in anyOf',
          keyword: 'anyOf',
        },
        {
          path: '/trial_end',
          message: 'must be a Unix time in whole seconds (an integer >= 0)',
          keyword: 'format',
        },
        {
          path: '/billing_cycle_anchor',
          message: 'must be a Unix time in whole seconds (an integer >= 0)',
          keyword: 'format',
        },
      ],
    });
  });

  it('resolves HubSpot #/components refs by compiling the body schema with the components', () => {
    const body = requestSchema({
      spec: hubspot,
      path: '/crm/v3/objects/contacts',
      method: 'post',
      type: 'application/json',
    });
    expect(body).toEqual({ $ref: '#/components/schemas/SimplePublicObjectInputForCreate' });
    const validator = compileSchema(
      { ...body, components: hubspot.components },
      { dialect: 'openapi-3.0' },
    );
    const association = {
      to: { id: '101' },
      types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 1 }],
    };
    expect(
      validator.validate({
        properties: { email: 'jenny@example.com' },
        associations: [association],
      }),
    ).toEqual({ valid: true });
    expect(
      validator.validate({
        properties: { email: 5 },
        associations: [
          { to: {}, types: [{ associationCategory: 'MINE', associationTypeId: 2 ** 31 }] },
        ],
      }),
    ).toEqual({
      valid: false,
      errors: [
        { path: '/properties/email', message: 'must be a string', keyword: 'type' },
        { path: '/associations/0/to/id', message: 'is required', keyword: 'required' },
        {
          path: '/associations/0/types/0/associationCategory',
          message:
            'must be one of: "HUBSPOT_DEFINED", "INTEGRATOR_DEFINED", "USER_DEFINED", "WORK"',
          keyword: 'enum',
        },
        {
          path: '/associations/0/types/0/associationTypeId',
          message: 'must be a 32-bit integer',
          keyword: 'format',
        },
      ],
    });
  });

  it('resolves GitHub (Swagger 2.0) #/definitions refs the same way', () => {
    const operation = github.paths['/orgs/{org}/repos']?.['post'] as {
      parameters: { in: string; schema?: unknown }[];
    };
    const body = operation.parameters.find((p) => p.in === 'body')?.schema;
    expect(body).toEqual({ $ref: '#/definitions/postRepo' });
    const validator = compileSchema(
      { ...(body as object), definitions: github.definitions },
      { dialect: 'openapi-3.0' },
    );
    expect(validator.validate({ name: 'weft', private: true, team_id: 7 })).toEqual({
      valid: true,
    });
    expect(validator.validate({ private: 'yes', team_id: 'seven' })).toEqual({
      valid: false,
      errors: [
        { path: '/name', message: 'is required', keyword: 'required' },
        { path: '/private', message: 'must be a boolean', keyword: 'type' },
        { path: '/team_id', message: 'must be an integer', keyword: 'type' },
      ],
    });
  });

  it('compiles Stripe schemas whose refs form cycles (customer → subscription → customer)', () => {
    const validator = compileSchema(
      { $ref: '#/components/schemas/customer', components: stripe.components },
      { dialect: 'openapi-3.0' },
    );
    expect(
      validator.validate({
        id: 'cus_1',
        object: 'customer',
        created: 1_700_000_000,
        livemode: false,
      }),
    ).toEqual({ valid: true });
    const result = validator.validate({
      id: 'cus_1',
      object: 'customer',
      created: 1_700_000_000,
      livemode: false,
      subscriptions: {
        object: 'list',
        data: [
          {
            id: 'sub_1',
            customer: { id: 'cus_2', object: 'invoice', created: -1, livemode: false },
          },
        ],
        has_more: false,
        url: '/v1/customers/cus_1/subscriptions',
      },
    });
    expect(result.valid).toBe(false);
    const paths = result.valid ? [] : result.errors.map((e) => e.path);
    expect(paths).toContain('/subscriptions/data/0/object');
    expect(paths).toContain('/subscriptions/data/0/customer');
  });
});

describe('references', () => {
  it('validates recursive schemas on finite data, with exact paths', () => {
    const tree = {
      $defs: {
        node: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string' },
            children: { type: 'array', items: { $ref: '#/$defs/node' } },
          },
        },
      },
      $ref: '#/$defs/node',
    };
    const build = (depth: number): unknown =>
      depth === 0 ? { name: 'leaf' } : { name: `n${depth}`, children: [build(depth - 1)] };
    expect(isValid(tree, build(60))).toBe(true);
    let broken = { name: 'leaf', children: [{ name: 7 }] } as unknown;
    for (let i = 0; i < 50; i++) broken = { name: 'n', children: [broken] };
    expect(errorsOf(tree, broken)).toEqual([
      { path: `${'/children/0'.repeat(51)}/name`, message: 'must be a string', keyword: 'type' },
    ]);
    // Deeper than the data limit: refused, not a stack overflow.
    expect(errorsOf(tree, build(200))).toEqual([
      {
        path: '',
        message: `input nested more than ${SCHEMA_LIMITS.maxDataDepth} levels deep`,
        keyword: 'limit',
      },
    ]);
  });

  it('refuses a $ref loop that never consumes input', () => {
    expect(compileFailure({ $ref: '#' }).message).toMatch(/\$ref loop/);
    expect(
      compileFailure({
        $defs: { a: { allOf: [{ $ref: '#/$defs/b' }] }, b: { anyOf: [{ $ref: '#/$defs/a' }] } },
        $ref: '#/$defs/a',
      }).message,
    ).toMatch(/\$ref loop/);
    expect(
      compileFailure(
        { $ref: '#/definitions/a', definitions: { a: { not: { $ref: '#/definitions/a' } } } },
        'openapi-3.0',
      ).code,
    ).toBe('validation_failed');
  });

  it('refuses a $ref into the document that resolves to nothing', () => {
    expect(
      compileFailure({ properties: { a: { $ref: '#/components/schemas/Missing' } } }).message,
    ).toBe(
      'unusable input schema: $ref "#/components/schemas/Missing" does not resolve within the schema (at #/properties/a/$ref)',
    );
    expect(compileFailure({ $ref: '#/constructor' }).message).toMatch(/does not resolve/);
    expect(compileFailure({ $ref: '#/__proto__' }).message).toMatch(/does not resolve/);
    expect(compileFailure({ $ref: '#nowhere' }).message).toMatch(/anchor/);
  });

  it('never fetches other documents: a remote or file $ref accepts anything', () => {
    const schema = {
      properties: {
        remote: { $ref: 'https://example.com/schemas/customer.json' },
        file: { $ref: './schemas/customer.yaml#/Customer' },
        local: { type: 'string' },
      },
    };
    expect(errorsOf(schema, { remote: 1, file: [true], local: 2 })).toEqual([
      { path: '/local', message: 'must be a string', keyword: 'type' },
    ]);
  });
});

describe('limits', () => {
  it('refuses a schema nested 10,000 levels deep without overflowing the stack', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 10_000; i++) schema = { properties: { a: schema } };
    expect(compileFailure(schema).code).toBe('validation_failed');
    let items: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) items = { items: items };
    expect(compileFailure(items).message).toMatch(/nest more than 64 levels/);
  });

  it('refuses a schema that is not JSON', () => {
    const cyclic: Record<string, unknown> = { type: 'object' };
    cyclic['properties'] = { self: cyclic };
    expect(compileFailure(cyclic).message).toMatch(/not JSON/);
    expect(compileFailure('string').message).toMatch(/object or a boolean/);
    expect(compileFailure(undefined).message).toMatch(/object or a boolean/);
  });

  it('stops on a million-element array with the limit error', () => {
    expect(
      errorsOf({ type: 'array', items: { type: 'integer' } }, new Array(1_000_000).fill(0)),
    ).toEqual(LIMIT);
  });

  it('stops exponential schema work with the limit error', () => {
    // Each level tries both branches: 2^40 visits for one failing value.
    const $defs: Record<string, unknown> = { d40: { type: 'string' } };
    for (let i = 0; i < 40; i++)
      $defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
    expect(errorsOf({ $defs, $ref: '#/$defs/d0' }, 5)).toEqual(LIMIT);
  });

  it('refuses cyclic or deeply nested data', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(errorsOf({ type: 'object' }, cyclic)[0]?.keyword).toBe('limit');
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(errorsOf({}, deep)[0]?.keyword).toBe('limit');
  });
});

describe('prototype safety', () => {
  const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();

  it('validates __proto__, constructor and prototype keys as ordinary properties', () => {
    const before = prototypeKeys();
    const schema = JSON.parse(
      '{"type":"object","required":["constructor","__proto__"],"properties":{"__proto__":{"type":"object","properties":{"polluted":{"type":"string"}}},"prototype":{"type":"string"}},"additionalProperties":{"type":"object","additionalProperties":true}}',
    ) as unknown;
    const data = JSON.parse(
      '{"__proto__":{"polluted":true},"prototype":1,"constructor":{"prototype":{"polluted":true}}}',
    ) as unknown;
    expect(errorsOf(schema, data)).toEqual([
      { path: '/__proto__/polluted', message: 'must be a string', keyword: 'type' },
      { path: '/prototype', message: 'must be a string', keyword: 'type' },
    ]);
    // Inherited members never satisfy required.
    expect(errorsOf(schema, {}).map((e) => e.path)).toEqual(['/constructor', '/__proto__']);
    for (const keyword of [
      'unevaluatedProperties',
      'patternProperties',
      'propertyNames',
      'dependentRequired',
    ]) {
      const other = JSON.parse(
        `{"${keyword}":${keyword === 'patternProperties' ? '{"^_":{"type":"string"}}' : keyword === 'dependentRequired' ? '{"__proto__":["constructor"]}' : '{"type":"string"}'}}`,
      ) as unknown;
      compileSchema(other).validate(data);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(prototypeKeys()).toEqual(before);
  });

  it('never mutates the schema or the value', () => {
    const freeze = <T>(value: T): T => {
      if (typeof value === 'object' && value !== null) {
        for (const child of Object.values(value)) freeze(child);
        Object.freeze(value);
      }
      return value;
    };
    const schema = freeze({
      type: 'object',
      nullable: true,
      properties: { a: { type: 'integer', exclusiveMinimum: true, minimum: 0, 'x-vendor': 1 } },
      required: ['a'],
    });
    const snapshot = JSON.stringify(schema);
    const value = freeze({ a: 0, b: [1, { c: 2 }] });
    expect(errorsOf(schema, value, 'openapi-3.0')).toEqual([
      { path: '/a', message: 'must be > 0', keyword: 'exclusiveMinimum' },
    ]);
    expect(JSON.stringify(schema)).toBe(snapshot);
  });
});

describe('properties', () => {
  const dialects = fc.constantFrom<SchemaDialect>('openapi-3.0', '2020-12', '2019-09', '7', '4');
  // A few keywords per schema object, nested a few levels: small schemas, every combination.
  const { schema } = fc.letrec<{ schema: unknown; object: Record<string, unknown> }>((tie) => {
    const keywords: Record<string, fc.Arbitrary<unknown>> = {
      type: fc.oneof(
        fc.constantFrom(
          'string',
          'number',
          'integer',
          'object',
          'array',
          'boolean',
          'null',
          'file',
        ),
        fc.constant(['string', 'null']),
      ),
      nullable: fc.boolean(),
      enum: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
      const: fc.jsonValue({ maxDepth: 1 }),
      minimum: fc.integer({ min: -5, max: 5 }),
      exclusiveMaximum: fc.oneof(fc.boolean(), fc.integer()),
      multipleOf: fc.constantFrom(0, 0.5, 2, -1),
      maxLength: fc.nat(5),
      pattern: fc.constantFrom('^a', '(', 'b+$', '^(a+)+$', '\\p{L}', '(?=a)'),
      format: fc.constantFrom(
        'date-time',
        'int32',
        'unix-time',
        'decimal',
        'byte',
        'email',
        'vendor',
        '__proto__',
      ),
      required: fc.array(fc.constantFrom('a', 'b', '__proto__', 'constructor'), { maxLength: 3 }),
      properties: fc.dictionary(fc.constantFrom('a', 'b', '__proto__', 'toString'), tie('schema'), {
        maxKeys: 2,
      }),
      patternProperties: fc.dictionary(fc.constantFrom('^a', 'b', '['), tie('schema'), {
        maxKeys: 1,
      }),
      additionalProperties: tie('schema'),
      unevaluatedProperties: tie('schema'),
      propertyNames: tie('schema'),
      dependentRequired: fc.dictionary(
        fc.constantFrom('a', 'b'),
        fc.array(fc.constantFrom('a', 'b')),
        { maxKeys: 1 },
      ),
      items: fc.oneof(tie('schema'), fc.array(tie('schema'), { maxLength: 2 })),
      prefixItems: fc.array(tie('schema'), { maxLength: 2 }),
      additionalItems: tie('schema'),
      unevaluatedItems: tie('schema'),
      contains: tie('schema'),
      minItems: fc.nat(3),
      uniqueItems: fc.boolean(),
      allOf: fc.array(tie('schema'), { minLength: 1, maxLength: 2 }),
      anyOf: fc.array(tie('schema'), { minLength: 1, maxLength: 2 }),
      oneOf: fc.array(tie('schema'), { minLength: 1, maxLength: 2 }),
      not: tie('schema'),
      if: tie('schema'),
      then: tie('schema'),
      else: tie('schema'),
      $ref: fc.constantFrom('#', '#/properties/a', '#/$defs/x', 'https://example.com/x.json'),
      $defs: fc.record({ x: tie('schema') }),
    };
    const entry = fc.oneof(
      ...Object.entries(keywords).map(([key, arb]) => arb.map((v): [string, unknown] => [key, v])),
    );
    return {
      schema: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.boolean(), tie('object')),
      object: fc.array(entry, { maxLength: 5 }).map((entries) => Object.fromEntries(entries)),
    };
  });
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(
      fc.constantFrom('a', 'b', '__proto__', 'constructor', 'prototype'),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 4 },
    ),
  );

  it('only ever answers valid or invalid, the same way every time', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    fc.assert(
      fc.property(
        schema,
        dialects,
        fc.array(value, { minLength: 1, maxLength: 4 }),
        (s, dialect, values) => {
          let validator;
          try {
            validator = compileSchema(s, { dialect });
          } catch (error) {
            // Refusing a schema is allowed; only as a typed, explained error.
            expect(error).toBeInstanceOf(AppError);
            return;
          }
          const again = compileSchema(structuredClone(s), { dialect });
          for (const v of values) {
            const first = validator.validate(v);
            expect(typeof first.valid).toBe('boolean');
            if (!first.valid) {
              expect(first.errors.length).toBeGreaterThan(0);
              expect(first.errors.length).toBeLessThanOrEqual(SCHEMA_LIMITS.maxErrors + 1);
              for (const e of first.errors) {
                expect(e.path === '' || e.path.startsWith('/')).toBe(true);
                expect(e.message.length).toBeGreaterThan(0);
              }
            }
            expect(validator.validate(v)).toEqual(first);
            expect(again.validate(structuredClone(v))).toEqual(first);
          }
        },
      ),
      { numRuns: 2000 },
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });
});

describe('cache', () => {
  it('returns the cached validator for the same schema content and dialect', () => {
    const schema = { type: 'object', properties: { cacheProbe: { type: 'string', minLength: 7 } } };
    const size = schemaCacheSize();
    const first = compileSchema(schema, { dialect: 'openapi-3.0' });
    expect(schemaCacheSize()).toBe(Math.min(size + 1, SCHEMA_LIMITS.cacheEntries));
    expect(compileSchema(structuredClone(schema), { dialect: 'openapi-3.0' })).toBe(first);
    expect(compileSchema(schema, { dialect: '2020-12' })).not.toBe(first);
  });

  it('remembers refusals too, and stays bounded', () => {
    const broken = { $ref: '#/nope/cache' };
    expect(compileFailure(broken)).toBe(compileFailure(structuredClone(broken)));
    for (let i = 0; i < SCHEMA_LIMITS.cacheEntries + 50; i++)
      compileSchema({ const: `bounded-${i}` });
    expect(schemaCacheSize()).toBe(SCHEMA_LIMITS.cacheEntries);
  });

  it('drops the least recently used when the cached schemas grow past their size bound', () => {
    const third = Math.ceil(SCHEMA_LIMITS.cacheChars / 3);
    const big = (tag: string) => ({ const: `${tag}${'x'.repeat(third)}` });
    const first = compileSchema(big('a'));
    const second = compileSchema(big('b'));
    expect(compileSchema(big('a'))).toBe(first);
    // A third schema of that size takes the total past the bound: b, now the oldest, goes.
    compileSchema(big('c'));
    expect(compileSchema(big('a'))).toBe(first);
    expect(compileSchema(big('b'))).not.toBe(second);
  });
});
