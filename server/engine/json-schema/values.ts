/**
 * JSON helpers for the validator: reading schema objects and values, comparing values, and the
 * wording of messages.
 *
 * Schema objects are untrusted, so they are read through `own` only (an inherited `constructor`
 * or `__proto__` is never a keyword), and a malformed keyword value reads as absent (`finite`,
 * `count`, `stringList`) rather than failing the schema. Comparisons charge the run's budget.
 */
import { charge, type Run } from './graph.ts';

export type JsonType = 'null' | 'boolean' | 'object' | 'array' | 'number' | 'string';

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: never `constructor`, `__proto__` or anything else inherited. */
export function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

export function typeOf(value: unknown): JsonType | 'other' {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      return Number.isFinite(value) ? 'number' : 'other';
    case 'object':
      return Array.isArray(value) ? 'array' : 'object';
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return 'other';
  }
  return 'other';
}

/** JSON equality (numbers by value, object keys in any order). Depth is bounded by `measure`. */
export function jsonEqual({ a, b, run }: { a: unknown; b: unknown; run: Run }): boolean {
  charge({ run, units: 1 });
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual({ a: item, b: b[i], run }));
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  return ak.every((key) => Object.hasOwn(bo, key) && jsonEqual({ a: ao[key], b: bo[key], run }));
}

/** A string equal for JSON-equal values, for uniqueItems. */
export function canonical({ value, run }: { value: unknown; run: Run }): string {
  charge({ run, units: 1 });
  if (Array.isArray(value))
    return `[${value.map((item) => canonical({ value: item, run })).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical({ value: value[key], run })}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

export function plural({
  n,
  one,
  many = `${one}s`,
}: {
  n: number;
  one: string;
  many?: string;
}): string {
  return `${n} ${n === 1 ? one : many}`;
}

const TYPE_NOUN: Record<string, string> = {
  null: 'null',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
};

export function typeMessage(types: readonly string[]): string {
  return `must be ${orList(types.map((t) => TYPE_NOUN[t] ?? t))}`;
}

export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

export function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : undefined;
}

export function walkPointer({ from, pointer }: { from: unknown; pointer: string }): unknown {
  if (pointer === '') return from;
  let current = from;
  for (const token of pointer.slice(1).split('/')) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) >= current.length) return undefined;
      current = current[Number(key)];
    } else if (isObject(current) && Object.hasOwn(current, key)) {
      current = current[key];
    } else {
      return undefined;
    }
  }
  return current;
}
