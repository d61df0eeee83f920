import { describe, expect, it } from 'vitest';
import { locateRecords, locateRecordsInSample, recordsAt } from './suggest.ts';

const none = (): undefined => undefined;
const contact = {
  type: 'object',
  properties: { id: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' } },
};

// A single record wrapped in an envelope is mapped from the record, not from the envelope.
describe('single-record envelopes', () => {
  it('finds the record beside envelope metadata only', () => {
    for (const key of ['data', 'user', 'Customer']) {
      const found = locateRecords({
        schema: {
          type: 'object',
          properties: { [key]: contact, time: { type: 'string' }, meta: { type: 'object' } },
        },
        resolve: none,
      });
      expect(found?.recordPath).toBe(key);
      expect(found?.schema).toEqual(contact);
    }
  });

  it('leaves a record alone when a nested object sits beside its own fields', () => {
    const order = {
      type: 'object',
      properties: { id: { type: 'string' }, total: { type: 'number' }, address: contact },
    };
    expect(locateRecords({ schema: order, resolve: none })).toBeNull();
    const named = { type: 'object', properties: { email: { type: 'string' }, address: contact } };
    expect(locateRecords({ schema: named, resolve: none })).toBeNull();
  });

  it('reads the record of a sample at a path without []', () => {
    const sample = { data: { id: 'u1', email: 'a@b.c' }, request_id: 'r1' };
    expect(locateRecordsInSample(sample)).toBe('data');
    expect(recordsAt({ sample, recordPath: 'data' })).toEqual([{ id: 'u1', email: 'a@b.c' }]);
    expect(locateRecordsInSample({ id: 'u1', address: { city: 'x', zip: 'y' } })).toBeNull();
  });
});

// `{ payload: {...}, errors: [...] }`: a list of errors beside the record is not its records.
describe('envelopes with an error list', () => {
  const errors = {
    type: 'array',
    items: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  };

  it('finds the record, not the errors', () => {
    const found = locateRecords({
      schema: { type: 'object', properties: { payload: contact, errors } },
      resolve: none,
    });
    expect(found?.recordPath).toBe('payload');
    const list = locateRecords({
      schema: {
        type: 'object',
        properties: { results: { type: 'array', items: contact }, errors, warnings: errors },
      },
      resolve: none,
    });
    expect(list?.recordPath).toBe('results[]');
  });

  it('does the same in a sample', () => {
    const sample = { payload: { id: 'u1', email: 'a@b.c' }, errors: [{ code: 'x', message: 'y' }] };
    expect(locateRecordsInSample(sample)).toBe('payload');
  });
});
