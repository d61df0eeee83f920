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

function answer(media: Record<string, unknown>) {
  const document = { openapi: '3.0.3', paths: {} };
  return answerFor({
    operation: operation(media),
    resolver: createResolver(document),
    format: 'openapi-3.0',
    seed: 1,
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
});
