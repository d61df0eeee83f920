/**
 * Conversion helpers that mappings call from JSONata as `$toIso(...)`, `$toMinor(...)` and so
 * on. They throw on input they cannot read; the mapping engine turns that into an error on the
 * one field whose expression called them.
 *
 * `undefined` in gives `undefined` out (a missing source field stays missing) and `null` in
 * gives `null` out (a source's explicit null survives the round trip).
 */

// ISO 4217 minor-unit exponents that are not 2. Any other code is taken to have 2.
const CURRENCY_EXPONENTS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

export function currencyExponent(currency: unknown): number {
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) {
    throw new Error(`"${String(currency)}" is not an ISO 4217 currency code`);
  }
  return CURRENCY_EXPONENTS[currency.toUpperCase()] ?? 2;
}

function toNumber(value: unknown, what: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new Error(`cannot read ${JSON.stringify(value)} as ${what}`);
  }
  return n;
}

export function toMinor(amount: unknown, currency: unknown): number | null | undefined {
  if (amount === undefined || amount === null) return amount;
  const scale = 10 ** currencyExponent(currency);
  // Round, because 19.99 * 100 is 1998.9999999999998 in binary floating point.
  return Math.round(toNumber(amount, 'an amount') * scale);
}

export function fromMinor(minor: unknown, currency: unknown): number | null | undefined {
  if (minor === undefined || minor === null) return minor;
  const exponent = currencyExponent(currency);
  return Number((toNumber(minor, 'an amount') / 10 ** exponent).toFixed(exponent));
}

// Below this a number is unix seconds, above it milliseconds: 1e11 seconds is the year 5138,
// while 1e11 milliseconds is March 1973, before any record a SaaS API holds.
const SECONDS_LIMIT = 1e11;

function toDate(value: unknown): Date {
  let date: Date | undefined;
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) {
    const n = Number(value);
    date = new Date(Math.abs(n) < SECONDS_LIMIT ? n * 1000 : n);
  } else if (typeof value === 'string') {
    // A bare date is midnight UTC, not midnight wherever the server happens to run.
    date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  } else if (value instanceof Date) {
    date = value;
  }
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new Error(`cannot read ${JSON.stringify(value)} as a date`);
  }
  return date;
}

/** ISO 8601 (UTC) from an ISO string, a bare date, unix seconds or unix milliseconds. */
export function toIso(value: unknown): string | null | undefined {
  if (value === undefined || value === null || value === '') return value === '' ? null : value;
  return toDate(value).toISOString();
}

/** Unix seconds, for APIs that carry timestamps that way. */
export function toUnix(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  return Math.floor(toDate(value).getTime() / 1000);
}

export function toUnixMs(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  return toDate(value).getTime();
}

/**
 * `$mapEnum(status, {"canceled": "cancelled"}, "other")`: the mapped value; else the value
 * itself if the table maps something to it (so canonical values pass through); else the fallback.
 */
export function mapEnum(value: unknown, table: unknown, fallback?: unknown): unknown {
  if (value === undefined || value === null) return value;
  const map = (typeof table === 'object' && table !== null ? table : {}) as Record<string, unknown>;
  const key = typeof value === 'string' ? value : JSON.stringify(value);
  if (Object.hasOwn(map, key)) return map[key];
  const lower = key.toLowerCase();
  for (const [from, to] of Object.entries(map)) if (from.toLowerCase() === lower) return to;
  if (Object.values(map).includes(value)) return value;
  return fallback === undefined ? value : fallback;
}

/** "Ada King Lovelace" → { first: "Ada", last: "King Lovelace" }. */
export function splitName(full: unknown): { first?: string; last?: string } | null | undefined {
  if (full === undefined || full === null) return full;
  const parts = (typeof full === 'string' ? full : JSON.stringify(full))
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const [first, ...rest] = parts;
  const out: { first?: string; last?: string } = {};
  if (first !== undefined) out.first = first;
  if (rest.length > 0) out.last = rest.join(' ');
  return out;
}

export function joinName(first: unknown, last: unknown): string | undefined {
  const parts = [first, last]
    .filter((p) => typeof p === 'string' || typeof p === 'number')
    .map((p) => String(p).trim())
    .filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** Every helper under the name expressions call it by (without the `$`). */
export const MAPPING_HELPERS: Record<string, (...args: never[]) => unknown> = {
  toIso,
  toUnix,
  toUnixMs,
  toMinor,
  fromMinor,
  mapEnum,
  splitName,
  joinName,
};
