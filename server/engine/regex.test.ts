import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRegex, REGEX_LIMITS, regexCost, regexTest } from './regex.ts';

function matches(pattern: string, input: string): boolean | undefined {
  const regex = compileRegex(pattern);
  return regex === undefined ? undefined : regexTest({ regex, input });
}

describe('linear-time regex', () => {
  it('follows RegExp#test: unanchored unless the pattern anchors', () => {
    expect(matches('b', 'abc')).toBe(true);
    expect(matches('^b', 'abc')).toBe(false);
    expect(matches('^\\d{3}-\\d{4}$', '555-1234')).toBe(true);
    expect(matches('^\\d{3}-\\d{4}$', '555-12345')).toBe(false);
    expect(matches('\\bcat\\b', 'a cat!')).toBe(true);
    expect(matches('\\bcat\\b', 'concat')).toBe(false);
    expect(matches('^[^@\\s]+@[^@\\s]+$', 'a@b')).toBe(true);
  });

  it('refuses what it cannot run in linear time or does not support', () => {
    expect(compileRegex('^(a)\\1$')).toBeUndefined(); // backreference
    expect(compileRegex('(?=a)')).toBeUndefined(); // lookahead
    expect(compileRegex('\\p{L}')).toBeUndefined(); // property escapes
    expect(compileRegex('(')).toBeUndefined(); // not a pattern at all
    expect(compileRegex(42)).toBeUndefined();
    expect(compileRegex('a'.repeat(REGEX_LIMITS.maxLength + 1))).toBeUndefined();
    expect(compileRegex('(a{1000}){1000}')).toBeUndefined(); // program over the limit
    expect(
      compileRegex(
        '('.repeat(REGEX_LIMITS.maxGroupDepth + 1) + ')'.repeat(REGEX_LIMITS.maxGroupDepth + 1),
      ),
    ).toBeUndefined();
  });

  it('reads patterns that are valid only without the u flag', () => {
    expect(matches('^a\\-b$', 'a-b')).toBe(true);
    expect(matches('^a\\-b$', 'a_b')).toBe(false);
    expect(matches('^[\\w-]+$', 'a-b_c')).toBe(true);
  });

  it('matches by code point, astral characters included', () => {
    expect(matches('^.$', '😀')).toBe(true);
    expect(matches('^[😀-😂]$', '😁')).toBe(true);
  });

  it('runs catastrophic-backtracking patterns in linear time', () => {
    expect(matches('^(a+)+$', `${'a'.repeat(50_000)}!`)).toBe(false);
    expect(matches('(a|a)*b', 'a'.repeat(50_000))).toBe(false);
    expect(matches('^(\\w+\\s?)*$', `${'word '.repeat(10_000)}!`)).toBe(false);
  });

  it('costs input length × program size', () => {
    const regex = compileRegex('^(a|b|c|d|e|f)*$');
    if (regex === undefined) throw new Error('should compile');
    const short = regexCost({ regex, input: 'a'.repeat(1_000) });
    const long = regexCost({ regex, input: 'a'.repeat(100_000) });
    expect(long).toBeGreaterThan(short * 90);
  });

  it('agrees with RegExp on random patterns it supports', () => {
    const atom = fc.constantFrom(
      'a',
      'b',
      '.',
      '\\d',
      '\\w',
      '\\s',
      '\\W',
      '[ab]',
      '[^a]',
      '[a-c]',
      '[\\d-]',
      '\\.',
      '-',
      '\\b',
      '\\B',
      '^',
      '$',
      '(?:a|)',
      '\\u0061',
      '[]',
      '[^]',
    );
    const { re } = fc.letrec<{ re: string; group: string; rep: string; seq: string; alt: string }>(
      (tie) => ({
        re: fc.oneof(
          { depthSize: 'small' },
          atom,
          tie('seq'),
          tie('alt'),
          tie('rep'),
          tie('group'),
        ),
        seq: fc.array(tie('re'), { minLength: 1, maxLength: 3 }).map((items) => items.join('')),
        alt: fc.tuple(tie('re'), tie('re')).map(([a, b]) => `${a}|${b}`),
        group: tie('re').map((r) => `(${r})`),
        rep: fc
          .tuple(
            fc.oneof(atom, tie('group')),
            fc.constantFrom('*', '+', '?', '{2}', '{1,3}', '{2,}', '*?'),
          )
          .map(([a, q]) => `${a}${q}`),
      }),
    );
    const input = fc.string({
      unit: fc.constantFrom('a', 'b', 'c', '1', ' ', '-', '.', '\n', '😀'),
      maxLength: 12,
    });
    fc.assert(
      fc.property(re, input, (pattern, value) => {
        let native: RegExp;
        try {
          native = new RegExp(pattern, 'u');
        } catch {
          return;
        }
        // V8 also tries \B between the halves of a surrogate pair; this matcher steps by code point.
        if (pattern.includes('\\B') && /[\u{10000}-\u{10ffff}]/u.test(value)) return;
        const regex = compileRegex(pattern);
        if (regex === undefined) throw new Error(`${pattern} should compile`);
        expect(regexTest({ regex, input: value })).toBe(native.test(value));
      }),
      { numRuns: 3000 },
    );
  });
});
