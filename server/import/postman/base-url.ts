/**
 * The connector's base URL, which a collection never states: a `baseUrl`-like variable when the
 * requests use it, else the most common origin and the literal path prefix its requests share.
 * Requests outside it are skipped by the caller (`startsWith`).
 */
import { addWarning } from '../types.ts';
import { isHttpUrl, resolveOrigin, VARIABLE, type Ctx, type ParsedRequest } from './collection.ts';

/** Collection variables taken as the base URL, in order of preference (case-insensitive). */
const BASE_URL_VARIABLES = ['baseurl', 'base_url', 'url'];

export interface Base {
  origin: string;
  segments: string[];
}

function isLiteral(segment: string): boolean {
  return !segment.startsWith(':') && !/\{[^{}]*\}/.test(segment);
}

export function startsWith({ request, base }: { request: ParsedRequest; base: Base }): boolean {
  return (
    request.url.origin === base.origin &&
    base.segments.every((s, i) => request.url.segments[i] === s)
  );
}

/**
 * The base URL: a `baseUrl`-like variable when requests use it, otherwise the most common
 * origin plus the literal path prefix that all of its requests share (never a request's last
 * segment, so that every action keeps a path of its own).
 */
export function chooseBase({ requests, ctx }: { requests: ParsedRequest[]; ctx: Ctx }): Base {
  for (const preferred of BASE_URL_VARIABLES) {
    const entry = [...ctx.variables].find(([key]) => key.toLowerCase() === preferred);
    if (entry === undefined) continue;
    const { origin, prefix } = resolveOrigin({
      hostText: entry[1],
      ctx,
      at: `${ctx.root}/variable`,
    });
    if (!/^https?:\/\//.test(origin)) continue;
    const base = { origin, segments: prefix };
    if (requests.length === 0 || requests.some((request) => startsWith({ request, base })))
      return base;
    addWarning(ctx.warnings, {
      path: `${ctx.root}/variable`,
      reason: `no request starts with {{${entry[0]}}}; the base URL is taken from the requests`,
    });
    break;
  }
  const byOrigin = new Map<string, ParsedRequest[]>();
  for (const r of requests) {
    const group = byOrigin.get(r.url.origin);
    if (group === undefined) byOrigin.set(r.url.origin, [r]);
    else group.push(r);
  }
  let origin = '';
  let group: ParsedRequest[] = [];
  for (const [o, rs] of byOrigin) {
    if (rs.length > group.length) {
      origin = o;
      group = rs;
    }
  }
  const segments: string[] = [];
  if (group.length >= 2) {
    const shortest = group.reduce(
      (min, r) => Math.min(min, r.url.segments.length - 1),
      Number.POSITIVE_INFINITY,
    );
    for (let i = 0; i < shortest; i++) {
      const s = group[0]?.url.segments[i];
      if (s === undefined || !isLiteral(s) || group.some((r) => r.url.segments[i] !== s)) break;
      segments.push(s);
    }
  }
  return { origin, segments };
}

/** The connector's base URL; unresolved `{{x}}` variables become server variables `{x}`. */
export function baseUrlOf({ base, ctx, at }: { base: Base; ctx: Ctx; at: string }): {
  baseUrl?: string;
  serverVariables: Record<string, { default: string }>;
} {
  const joined = [base.origin, ...base.segments].join('/');
  const names = new Set<string>();
  const template = joined.replace(VARIABLE, (_, name: string) => {
    const clean = name.trim().replace(/[^A-Za-z0-9_.-]/g, '_');
    names.add(clean);
    return `{${clean}}`;
  });
  const filled = template.replace(/\{[^{}]*\}/g, 'x');
  if (
    !/^https?:\/\/\S+$/.test(template) ||
    template.length > 2000 ||
    !isHttpUrl(filled) ||
    new URL(filled).search !== ''
  ) {
    addWarning(ctx.warnings, {
      path: at,
      reason: `no absolute http(s) base URL found (requests start with "${joined.slice(0, 200)}"); set baseUrl on the connector`,
    });
    return { serverVariables: {} };
  }
  for (const name of names) {
    addWarning(ctx.warnings, {
      path: at,
      reason: `the base URL uses {{${name}}}, which the collection gives no value; set it in each connection's config`,
    });
  }
  return {
    baseUrl: template,
    serverVariables: Object.fromEntries([...names].map((name) => [name, { default: '' }])),
  };
}
