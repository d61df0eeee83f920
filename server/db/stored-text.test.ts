import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../../test/db.ts';
import { fromStoredJson, fromStoredText, toStoredJson, toStoredText } from './stored-text.ts';

const awkward = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'x\uDC00\uD800y',
  '\uD83D\uDE00',
  '\uE000',
  '\uE0000000',
  '\\u0000',
  '\\\u0000',
  '\uE000d800',
  '',
);
const text = fc.oneof(fc.string({ unit: 'binary' }), awkward, fc.string());
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('stored text encoding', () => {
  it('round-trips any JSON value and any string', () => {
    fc.assert(
      fc.property(json, (value) => {
        const stored = toStoredJson(value);
        expect(stored === null ? null : fromStoredJson(JSON.parse(stored))).toEqual(value);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(text, (value) => {
        expect(fromStoredText(toStoredText(value))).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves ordinary text as it is', () => {
    const value = { name: 'Ada ✓ 😀', list: ['\\u0000 is written like this'] };
    expect(toStoredJson(value)).toBe(JSON.stringify(value));
    expect(toStoredText('plain 😀')).toBe('plain 😀');
  });
});

describe.each(TEST_DRIVERS)('stored text in Postgres (%s)', (driver) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(driver);
  });
  afterAll(() => database.close());

  it('jsonb and text columns hold NUL and lone surrogates and give them back', async () => {
    const samples = [
      { s: 'a\u0000b', ['k\u0000']: ['\uD800', '\uDFFFx', '\uE000', '😀'] },
      'just \u0000',
      ['\\u0000', '\\\u0000', '\uE0000000'],
    ];
    await database.db.owner(async (sql) => {
      for (const value of samples) {
        const [row] = await sql.query<{ j: unknown; t: string }>(
          'SELECT $1::jsonb AS j, $2::text AS t',
          [toStoredJson(value), toStoredText(JSON.stringify(value))],
        );
        expect(fromStoredJson(row?.j)).toEqual(value);
        expect(fromStoredText(row?.t ?? '')).toBe(JSON.stringify(value));
      }
    });
  });
});
