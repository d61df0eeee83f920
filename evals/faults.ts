// Seeded faults for the fixer cases: given any connector (as export_connector gives it) and the
// actions whose mock test passes, a deterministic procedure picks where to break it the way
// hand-made connectors break — a wrong path segment, a query parameter sent in the body, the API
// key under the wrong name, the wrong auth scheme prefix, a wrong base path, a required parameter
// dropped — and says how to check the repair: the faulted field must equal the original again.
// Decision: pure functions over plain data with a small seeded generator (mulberry32), so the same
// connector and seed always give the same faults and a test can show it without a database;
// nothing here knows any API by name.
import type { ActionInput, AuthMethod, Parameter } from '../server/domain/connector.ts';

export const FAULT_KINDS = [
  'path_segment',
  'query_in_body',
  'key_name',
  'auth_scheme',
  'base_path',
  'required_param_dropped',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The slice of an exported connector the procedure reads. */
export interface FaultableConnector {
  readonly connector: { readonly baseUrl: string | null; readonly authMethods: AuthMethod[] };
  readonly actions: readonly ActionInput[];
}

/** What changes: an action replaced, or the connector's base URL or auth methods. */
export type FaultChange =
  | { readonly target: 'action'; readonly action: ActionInput }
  | { readonly target: 'baseUrl'; readonly baseUrl: string }
  | { readonly target: 'authMethods'; readonly authMethods: AuthMethod[] };

export interface SeededFault {
  readonly kind: FaultKind;
  /** The action whose test shows the fault (for a connector-level fault, one that uses it). */
  readonly action: string;
  /** The faulted field, e.g. `path`, `parameters.limit`, `authMethods.api_key`, `baseUrl`. */
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly change: FaultChange;
}

/** mulberry32: a small, well-spread 32-bit generator; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const wireOf = (p: Parameter): string => (p.wireName ?? p.name).toLowerCase();

function withParameters(action: ActionInput, parameters: Parameter[]): ActionInput {
  // The input schema is derived again from the parameters when it is left out.
  const { inputSchema: _derived, ...rest } = action;
  return { ...rest, parameters };
}

/** `pets` ↔ `pet`, `order` → `orders`: the commonest slip in a hand-written path. */
function misspelled(segment: string): string {
  return segment.endsWith('s') && segment.length > 2 ? segment.slice(0, -1) : `${segment}s`;
}

const shapeOf = (method: string, path: string): string =>
  `${method} ${path.replace(/\{[^}]+\}/g, '{}').toLowerCase()}`;

function pathSegmentFaults(c: FaultableConnector, passing: readonly ActionInput[]): SeededFault[] {
  const taken = new Set(c.actions.map((a) => shapeOf(a.method, a.path)));
  const out: SeededFault[] = [];
  for (const action of passing) {
    const parts = action.path.split('/');
    parts.forEach((part, i) => {
      if (part === '' || part.includes('{') || !/^[a-z][a-z_-]*$/i.test(part)) return;
      const next = [...parts];
      next[i] = misspelled(part);
      const path = next.join('/');
      if (taken.has(shapeOf(action.method, path))) return;
      out.push({
        kind: 'path_segment',
        action: action.slug,
        field: 'path',
        before: action.path,
        after: path,
        change: { target: 'action', action: { ...action, path } },
      });
    });
  }
  return out;
}

function queryInBodyFaults(passing: readonly ActionInput[]): SeededFault[] {
  return passing.flatMap((action) =>
    action.parameters
      .filter((p) => p.in === 'query' && p.required)
      .filter(
        (p) =>
          !action.parameters.some((o) => o !== p && o.in === 'body' && wireOf(o) === wireOf(p)),
      )
      .map((p): SeededFault => ({
        kind: 'query_in_body',
        action: action.slug,
        field: `parameters.${p.name}.in`,
        before: 'query',
        after: 'body',
        change: {
          target: 'action',
          action: withParameters(
            action,
            action.parameters.map((o) => (o === p ? { ...o, in: 'body' } : o)),
          ),
        },
      })),
  );
}

function droppedParamFaults(passing: readonly ActionInput[]): SeededFault[] {
  return passing.flatMap((action) =>
    action.parameters
      .filter((p) => p.required && (p.in === 'query' || p.in === 'header'))
      .map((p): SeededFault => ({
        kind: 'required_param_dropped',
        action: action.slug,
        field: `parameters.${p.name}`,
        before: p,
        after: null,
        change: {
          target: 'action',
          action: withParameters(
            action,
            action.parameters.filter((o) => o !== p),
          ),
        },
      })),
  );
}

/** Names an API key goes by; a wrong one is another of these. */
const KEY_NAMES = ['X-API-Key', 'api_key', 'X-Auth-Token', 'apikey', 'access_token', 'X-Api-Token'];

function keyNameFaults(c: FaultableConnector, anyAction: string, random: () => number) {
  return c.connector.authMethods.flatMap((m, i): SeededFault[] => {
    if (m.type !== 'api_key') return [];
    const names = KEY_NAMES.filter((n) => n.toLowerCase() !== m.name.toLowerCase());
    const name = names[Math.floor(random() * names.length)] ?? 'X-API-Key';
    const after: AuthMethod = { ...m, name };
    return [
      {
        kind: 'key_name',
        action: anyAction,
        field: `authMethods.${m.key}`,
        before: m,
        after,
        change: {
          target: 'authMethods',
          authMethods: c.connector.authMethods.map((o, j) => (j === i ? after : o)),
        },
      },
    ];
  });
}

/** Bearer sent as `Token …`, Basic sent as `Bearer …`: the Authorization header's wrong word. */
function authSchemeFaults(c: FaultableConnector, anyAction: string): SeededFault[] {
  return c.connector.authMethods.flatMap((m, i): SeededFault[] => {
    if (m.type !== 'bearer' && m.type !== 'basic') return [];
    const after: AuthMethod = {
      key: m.key,
      ...(m.label === undefined ? {} : { label: m.label }),
      type: 'api_key',
      in: 'header',
      name: 'Authorization',
      prefix: m.type === 'bearer' ? 'Token ' : 'Bearer ',
    };
    return [
      {
        kind: 'auth_scheme',
        action: anyAction,
        field: `authMethods.${m.key}`,
        before: m,
        after,
        change: {
          target: 'authMethods',
          authMethods: c.connector.authMethods.map((o, j) => (j === i ? after : o)),
        },
      },
    ];
  });
}

/** `https://api.x.com/v2` → `/v3`; `https://x.com/api/rest` → `/api`: a wrong base path. */
export function wrongBasePath(baseUrl: string): string | null {
  const at = baseUrl.indexOf('/', baseUrl.indexOf('://') + 3);
  if (at < 0) return null;
  const origin = baseUrl.slice(0, at);
  const parts = baseUrl.slice(at).split('/').filter(Boolean);
  const last = parts.at(-1);
  if (last === undefined || last.includes('{')) return null;
  const versioned = /^(.*?)(\d+)$/.exec(last);
  const replaced =
    versioned === null
      ? parts.slice(0, -1)
      : [...parts.slice(0, -1), `${versioned[1] ?? ''}${Number(versioned[2]) + 1}`];
  return `${origin}/${replaced.join('/')}`.replace(/\/$/, '');
}

function basePathFaults(c: FaultableConnector, anyAction: string): SeededFault[] {
  const before = c.connector.baseUrl;
  const after = before === null ? null : wrongBasePath(before);
  if (before === null || after === null) return [];
  return [
    {
      kind: 'base_path',
      action: anyAction,
      field: 'baseUrl',
      before,
      after,
      change: { target: 'baseUrl', baseUrl: after },
    },
  ];
}

const CONNECTOR_TRIES = 3;

/**
 * Candidate faults of one kind, in seeded order: the caller applies the first and, when its test
 * does not fail (another auth method still fits, the path still matches), tries the next.
 * `passing`: the actions whose mock test passed before any fault (faults go only there).
 */
export function faultCandidates({
  connector,
  passing,
  kind,
  seed,
}: {
  connector: FaultableConnector;
  passing: readonly string[];
  kind: FaultKind;
  seed: number;
}): SeededFault[] {
  const random = seededRandom(seed);
  const ok = new Set(passing);
  const actions = connector.actions.filter((a) => ok.has(a.slug));
  const reads = actions.filter((a) => a.method === 'GET');
  // A connector-level fault shows on an action that uses what was broken: a few are tried.
  const shownOn = shuffled(reads.length > 0 ? reads : actions, random)
    .slice(0, CONNECTOR_TRIES)
    .map((a) => a.slug);
  if (shownOn.length === 0) return [];
  switch (kind) {
    case 'path_segment':
      return shuffled(pathSegmentFaults(connector, actions), random);
    case 'query_in_body':
      return shuffled(queryInBodyFaults(actions), random);
    case 'required_param_dropped':
      return shuffled(droppedParamFaults(actions), random);
    case 'key_name':
      return shownOn.flatMap((a) => keyNameFaults(connector, a, seededRandom(seed)));
    case 'auth_scheme':
      return shownOn.flatMap((a) => authSchemeFaults(connector, a));
    case 'base_path':
      return shownOn.flatMap((a) => basePathFaults(connector, a));
  }
}

/** The faulted field read from a connector: what the repair check compares with `before`. */
export function fieldOf(connector: FaultableConnector, fault: SeededFault): unknown {
  if (fault.field === 'baseUrl') return connector.connector.baseUrl;
  if (fault.field.startsWith('authMethods.')) {
    const key = fault.field.slice('authMethods.'.length);
    return connector.connector.authMethods.find((m) => m.key === key) ?? null;
  }
  const action = connector.actions.find((a) => a.slug === fault.action);
  if (action === undefined) return null;
  if (fault.field === 'path') return action.path;
  const param = /^parameters\.(.+?)(\.in)?$/.exec(fault.field);
  if (param !== null) {
    const name = param[1] ?? '';
    const before = fault.before as Parameter | string;
    const wire = typeof before === 'object' ? wireOf(before) : name.toLowerCase();
    const found = action.parameters.find((p) => p.name === name || wireOf(p) === wire);
    if (found === undefined) return null;
    return param[2] === undefined ? found : found.in;
  }
  return null;
}

/** Deep equality on JSON data, keys in any order; absent and undefined are the same. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].every((k) => sameJson(x[k], y[k]));
}

/** The faulted field equals the original again (a dropped parameter: back as it was). */
export function restored(connector: FaultableConnector, fault: SeededFault): boolean {
  const now = fieldOf(connector, fault);
  if (fault.kind === 'required_param_dropped') {
    const before = fault.before as Parameter;
    const p = now as Parameter | null;
    return p !== null && p.in === before.in && wireOf(p) === wireOf(before) && p.required;
  }
  return sameJson(now, fault.before);
}
