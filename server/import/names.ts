/** Text helpers for turning spec names into the identifiers a connector document allows. */

import { htmlToText } from './html-text.ts';

/** Cuts text to `max` characters, ending with an ellipsis when something was cut. */
export function truncate({ text, max }: { text: string; max: number }): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * Trimmed text or undefined, cut to `max`. Spec fields are often the wrong type, and prose is
 * often HTML: it becomes plain text before it is cut, so no tag is cut in half.
 */
export function textOf({ value, max }: { value: unknown; max: number }): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = htmlToText(value.trim());
  return trimmed === '' ? undefined : truncate({ text: trimmed, max });
}

/** Words of a name: splits on anything not a letter or digit, and on camelCase humps. */
export function wordsOf(text: string): string[] {
  return text
    .slice(0, 1000)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^a-zA-Z0-9]+/)
    .filter((w) => w !== '');
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * camelCase of a name that keeps the humps it already has: `list_customers` → `listCustomers`,
 * `GetOrderByID` → `getOrderByID`, `crm.objects.basic_getPage` → `crmObjectsBasicGetPage`.
 */
export function camelCase(text: string): string {
  const parts = text
    .slice(0, 1000)
    .split(/[^a-zA-Z0-9]+/)
    .filter((p) => p !== '');
  const joined = parts.map((p, i) => (i === 0 ? p : capitalize(p))).join('');
  // Lower the leading hump: "ListWebhooks" → "listWebhooks", "URLs" → "urls", "ID" → "id".
  const lead = /^[A-Z]+(?=[A-Z][a-z]|$)|^[A-Z]/.exec(joined)?.[0] ?? '';
  return lead.toLowerCase() + joined.slice(lead.length);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** An input name for a wire name: kept when it is a JS identifier, else camelCased. */
export function inputNameOf(wire: string): string {
  if (isIdentifier(wire) && wire.length <= 200) return wire;
  const camel = camelCase(wire).slice(0, 200);
  if (camel === '') return 'param';
  return /^[0-9]/.test(camel) ? `p${camel}`.slice(0, 200) : camel;
}

/** Action slug: `[a-zA-Z][a-zA-Z0-9_]{0,99}`. */
export function actionSlugOf(text: string): string {
  const camel = camelCase(text);
  const slug = /^[a-zA-Z]/.test(camel) ? camel : `op${camel}`;
  return slug.slice(0, 100);
}

/** `GET /v1/customers/{customer}` → `getV1CustomersByCustomer`. */
export function slugFromRoute({ method, path }: { method: string; path: string }): string {
  const parts = [method.toLowerCase()];
  for (const segment of path.split('/')) {
    if (segment === '') continue;
    const param = /^\{(.+)\}$/.exec(segment);
    if (param) parts.push('by', ...wordsOf(param[1] ?? ''));
    else parts.push(...wordsOf(segment));
  }
  return actionSlugOf(parts.map((p, i) => (i === 0 ? p : capitalize(p))).join(''));
}

/** Makes `base` unique in `taken` with a numeric suffix, within `max` characters; records it. */
export function uniqueName({
  base,
  taken,
  max,
  separator = '',
}: {
  base: string;
  taken: Set<string>;
  max: number;
  separator?: string;
}): string {
  let name = base.slice(0, max);
  for (let n = 2; taken.has(name); n++) {
    const suffix = `${separator}${n}`;
    name = `${base.slice(0, max - suffix.length)}${suffix}`;
  }
  taken.add(name);
  return name;
}

/** "getV1CustomersByCustomer" → "Get v1 customers by customer". */
export function humanize(slug: string): string {
  const text = wordsOf(slug)
    .map((w) => (/^[A-Z0-9]+$/.test(w) && w.length > 1 ? w : w.toLowerCase()))
    .join(' ');
  return text === '' ? slug : capitalize(text);
}

/** Connector slug `[a-z][a-z0-9_-]{0,62}` from an API title. */
export function connectorSlugOf(title: string): string {
  const base = title
    .slice(0, 500)
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const slug = /^[a-z]/.test(base) ? base : `api-${base}`;
  return slug.slice(0, 63).replace(/-+$/, '') || 'api';
}

/** Auth method key `[a-z][a-z0-9_]{0,40}`. */
export function authKeyOf(name: string): string {
  const base = name
    .slice(0, 200)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const key = /^[a-z]/.test(base) ? base : `auth_${base}`;
  return key.slice(0, 41).replace(/_+$/, '') || 'auth';
}
