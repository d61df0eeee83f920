// The record a saved mapping reads, found in the action's output schema at the record path the
// suggester reports, whether the envelope declares its properties itself or through `allOf`.
import { describe, expect, it } from 'vitest';
import { schemaAtRecordPath } from './read-back.ts';

const record = { type: 'object', properties: { tracking_number: { type: 'string' } } };

describe('schemaAtRecordPath', () => {
  it('walks properties and array items', () => {
    const list = {
      type: 'object',
      properties: { data: { type: 'array', items: record } },
    };
    expect(schemaAtRecordPath(list, 'data[]')).toBe(record);
    expect(schemaAtRecordPath({ type: 'array', items: record }, '[]')).toBe(record);
    expect(schemaAtRecordPath(record, null)).toBe(record);
  });

  it('finds an envelope property declared in an allOf part', () => {
    const envelope = {
      type: 'object',
      allOf: [
        { type: 'object', properties: { success: { type: 'boolean' } } },
        { type: 'object', properties: { response: record } },
      ],
    };
    expect(schemaAtRecordPath(envelope, 'response')).toBe(record);
    expect(schemaAtRecordPath(envelope, 'missing')).toBeUndefined();
  });
});
