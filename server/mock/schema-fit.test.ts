// The spec mock answers what the spec's schema says, even where the spec's own example does
// not: an example missing a required field or holding a value outside its enum gives way to
// generated data that fits, generated strings with a format (a UUID) are whole, and values of
// vendor formats (a Unix time, a decimal string) are what the format allows.
import { describe, expect, it } from 'vitest';
import { compileSchema } from '../engine/json-schema.ts';
import { createResolver } from '../import/schema.ts';
import { answerFor } from './responses.ts';

const record = {
  type: 'object',
  required: ['id', 'state'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    state: { type: 'string', enum: ['open', 'closed'] },
  },
};

function operation(media: Record<string, unknown>) {
  return { responses: { '200': { description: 'ok', content: { 'application/json': media } } } };
}

function answer(media: Record<string, unknown> & { seed?: number }) {
  const { seed = 1, ...rest } = media;
  const document = { openapi: '3.0.3', paths: {} };
  return answerFor({
    operation: operation(rest),
    resolver: createResolver(document),
    format: 'openapi-3.0',
    seed,
  });
}

const valid = (body: unknown) =>
  compileSchema(record, { dialect: 'openapi-3.0' }).validate(body).valid;

describe('mock answers that fit the schema', () => {
  it('keeps an example that fits', () => {
    const example = { id: '0f8fad5b-d9cb-469f-a165-70867728950e', state: 'open' };
    expect(answer({ schema: record, example })).toMatchObject({ source: 'example', body: example });
  });

  it('replaces an example that breaks the schema with generated data that fits', () => {
    for (const example of [
      { id: '0f8fad5b-d9cb-469f-a165-70867728950e' },
      { id: '0f8fad5b-d9cb-469f-a165-70867728950e', state: 'archived' },
    ]) {
      const got = answer({ schema: record, example });
      expect(got.source).toBe('faker');
      expect(valid(got.body)).toBe(true);
    }
  });

  it('generates whole UUIDs', () => {
    const got = answer({ schema: record });
    expect(got.source).toBe('faker');
    expect(valid(got.body)).toBe(true);
  });

  it('generates values that vendor formats allow', () => {
    const charge = {
      type: 'object',
      required: ['created', 'amount'],
      properties: {
        created: { type: 'integer', format: 'unix-time' },
        amount: { type: 'string', format: 'decimal' },
      },
    };
    for (const seed of [1, 2, 3]) {
      const got = answerFor({
        operation: operation({ schema: charge }),
        resolver: createResolver({ openapi: '3.0.3', paths: {} }),
        format: 'openapi-3.0',
        seed,
      });
      expect(compileSchema(charge, { dialect: 'openapi-3.0' }).validate(got.body)).toEqual({
        valid: true,
      });
    }
  });

  it("fills an open map that OpenAPI marks nullable or extends with its own data, not the schema's words", () => {
    const metadata = {
      type: 'object',
      nullable: true,
      additionalProperties: { type: 'string', maxLength: 500 },
      'x-stripeBypassValidation': true,
    };
    const record = {
      type: 'object',
      required: ['metadata'],
      properties: { metadata, nullable: { type: 'integer' } },
    };
    for (const seed of [1, 2, 3]) {
      const got = answer({ schema: record, seed });
      expect(got.source).toBe('faker');
      const body = got.body as { metadata: Record<string, unknown>; nullable?: unknown };
      expect(Object.keys(body.metadata)).not.toContain('nullable');
      expect(Object.keys(body.metadata)).not.toContain('x-stripeBypassValidation');
      // A property that happens to be named like an OpenAPI word is still a property.
      if (body.nullable !== undefined) expect(typeof body.nullable).toBe('number');
      expect(compileSchema(record, { dialect: 'openapi-3.0' }).validate(body)).toEqual({
        valid: true,
      });
    }
  });

  it('tries further seeds when faker misses a pattern, and stays deterministic', () => {
    // json-schema-faker's pattern generator does not keep to this character range: its first
    // five seeds give strings the pattern refuses.
    const place = {
      type: 'object',
      required: ['city'],
      properties: { city: { type: 'string', pattern: "^[a-zA-Z\\u0080-\\u024F\\s.'-]+$" } },
    };
    const first = answer({ schema: place });
    expect(first.source).toBe('faker');
    expect(compileSchema(place, { dialect: 'openapi-3.0' }).validate(first.body)).toEqual({
      valid: true,
    });
    expect(answer({ schema: place }).body).toEqual(first.body);
  });
});
