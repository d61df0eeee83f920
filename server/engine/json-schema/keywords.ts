/**
 * Compilers of the assertion keywords: those that judge the value itself (type, enum, const,
 * numeric bounds, string length, pattern, format) and apply no subschema.
 *
 * A keyword whose value is malformed (`minimum: "5"`, `type: "file"`) adds no check. Each check
 * passes values of types it does not concern (`minLength` on a number), as the drafts say.
 */
import { FORMATS } from './formats.ts';
import { charge, report, type Keywords } from './graph.ts';
import { compilePattern, patternMatches } from './patterns.ts';
import {
  codePointLength,
  count,
  finite,
  jsonEqual,
  own,
  plural,
  show,
  typeMessage,
  typeOf,
} from './values.ts';

const TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'integer', 'string']);

export function typeKeyword({ s, node }: Keywords): void {
  const raw = own(s, 'type');
  const listed = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  const types = [
    ...new Set(listed.filter((t): t is string => typeof t === 'string' && TYPES.has(t))),
  ];
  if (types.length === 0) return;
  if (node.nullable && !types.includes('null')) types.push('null');
  const allowed = new Set(types);
  const message = typeMessage(types);
  node.checks.push((v) => {
    const t = typeOf(v.value);
    if (allowed.has(t) || (t === 'number' && allowed.has('integer') && Number.isInteger(v.value))) {
      return true;
    }
    return report({ v, keyword: 'type', message, expected: types });
  });
}

export function valueKeywords({ s, node }: Keywords): void {
  const raw = own(s, 'enum');
  if (Array.isArray(raw)) {
    const list = raw as unknown[];
    const values = node.nullable && !list.includes(null) ? [...list, null] : list;
    const primitives = new Set(
      values.filter((value) => typeof value !== 'object' || value === null),
    );
    const composites = values.filter((value) => typeof value === 'object' && value !== null);
    const shown = values.slice(0, 10).map(show).join(', ');
    const message = `must be one of: ${shown}${values.length > 10 ? ', …' : ''}`;
    node.checks.push((v) => {
      const value = v.value;
      if (typeof value !== 'object' || value === null) {
        if (primitives.has(value)) return true;
      } else if (
        composites.some((candidate) => jsonEqual({ a: value, b: candidate, run: v.run }))
      ) {
        return true;
      }
      return report({ v, keyword: 'enum', message });
    });
  }
  if (Object.hasOwn(s, 'const')) {
    const expected = s['const'];
    const message = `must be equal to ${show(expected)}`;
    node.checks.push(
      (v) =>
        jsonEqual({ a: v.value, b: expected, run: v.run }) ||
        report({ v, keyword: 'const', message }),
    );
  }
}

function isMultipleOf({ value, divisor }: { value: number; divisor: number }): boolean {
  const quotient = value / divisor;
  if (!Number.isFinite(quotient)) return false;
  // Decimal divisors (0.01) are inexact in binary; a tiny tolerance keeps 0.3 a multiple of 0.1.
  return Math.abs(quotient - Math.round(quotient)) < 1e-9;
}

export function numberKeywords({ s, node }: Keywords): void {
  let minimum = finite(own(s, 'minimum'));
  let maximum = finite(own(s, 'maximum'));
  const rawExMin = own(s, 'exclusiveMinimum');
  const rawExMax = own(s, 'exclusiveMaximum');
  // Draft 4 / OpenAPI 3.0: a boolean that makes minimum/maximum exclusive.
  let exclusiveMinimum = finite(rawExMin);
  if (rawExMin === true && minimum !== undefined)
    [exclusiveMinimum, minimum] = [minimum, undefined];
  let exclusiveMaximum = finite(rawExMax);
  if (rawExMax === true && maximum !== undefined)
    [exclusiveMaximum, maximum] = [maximum, undefined];
  const multipleOf = finite(own(s, 'multipleOf'));

  const bound = (
    keyword: string,
    limit: number | undefined,
    passes: (value: number, limit: number) => boolean,
    relation: string,
  ): void => {
    if (limit === undefined) return;
    const message = `must be ${relation} ${limit}`;
    node.checks.push(
      (v) =>
        typeof v.value !== 'number' || passes(v.value, limit) || report({ v, keyword, message }),
    );
  };
  bound('minimum', minimum, (value, limit) => value >= limit, '>=');
  bound('exclusiveMinimum', exclusiveMinimum, (value, limit) => value > limit, '>');
  bound('maximum', maximum, (value, limit) => value <= limit, '<=');
  bound('exclusiveMaximum', exclusiveMaximum, (value, limit) => value < limit, '<');
  if (multipleOf !== undefined && multipleOf > 0) {
    const message = `must be a multiple of ${multipleOf}`;
    node.checks.push(
      (v) =>
        typeof v.value !== 'number' ||
        isMultipleOf({ value: v.value, divisor: multipleOf }) ||
        report({ v, keyword: 'multipleOf', message }),
    );
  }
}

export function stringKeywords({ s, node }: Keywords): void {
  const minLength = count(own(s, 'minLength'));
  const maxLength = count(own(s, 'maxLength'));
  if (minLength !== undefined || maxLength !== undefined) {
    node.checks.push((v) => {
      if (typeof v.value !== 'string') return true;
      // A character is one or two UTF-16 units, so the length in units often decides alone.
      const units = v.value.length;
      if (
        (minLength === undefined || units >= minLength * 2) &&
        (maxLength === undefined || units <= maxLength)
      ) {
        return true;
      }
      charge({ run: v.run, units: units >>> 6 });
      const length = codePointLength(v.value);
      if (minLength !== undefined && length < minLength) {
        return report({
          v,
          keyword: 'minLength',
          message: `must be at least ${plural({ n: minLength, one: 'character' })} long`,
        });
      }
      if (maxLength !== undefined && length > maxLength) {
        return report({
          v,
          keyword: 'maxLength',
          message: `must be at most ${plural({ n: maxLength, one: 'character' })} long`,
        });
      }
      return true;
    });
  }
  const pattern = compilePattern(own(s, 'pattern'));
  if (pattern !== undefined) {
    const shown = pattern.source.length > 100 ? `${pattern.source.slice(0, 97)}…` : pattern.source;
    const message = `must match the pattern ${shown}`;
    node.checks.push(
      (v) =>
        typeof v.value !== 'string' ||
        patternMatches({ pattern, input: v.value, run: v.run }) ||
        report({ v, keyword: 'pattern', message }),
    );
  }
  const name = own(s, 'format');
  const format = typeof name === 'string' ? FORMATS.get(name) : undefined;
  if (format !== undefined && format.types.length > 0) {
    node.checks.push((v) => {
      const value = v.value;
      const t = typeOf(value);
      if ((t !== 'string' && t !== 'number') || !format.types.includes(t)) return true;
      if (typeof value === 'string') charge({ run: v.run, units: value.length >>> 6 });
      return (
        format.test(value as string | number) ||
        report({ v, keyword: 'format', message: format.message })
      );
    });
  }
}
