// The fixer's deterministic patch rules: given a failed test (its error class, message and
// answer) and what the spec says about the operation, the change to make — as a patched action
// or patched auth methods plus a before/after diff. Pure functions: the fix step applies them
// through upsert_action / update_connector and re-tests.
import type { ActionInput, AuthMethod, Parameter } from '../../server/domain/connector.ts';
import type { FieldDiff } from './types.ts';
import { inferSchema } from './infer-schema.ts';

export interface FailedTest {
  readonly action: string;
  readonly errorClass: string | null;
  readonly error: string | null;
  readonly status: number | null;
  readonly responseHeaders?: Readonly<Record<string, string>>;
  readonly responseBody?: unknown;
}

export interface ActionPatch {
  readonly kind: 'action';
  readonly action: ActionInput;
  readonly diff: FieldDiff[];
  readonly change: string;
}

export interface AuthPatch {
  readonly kind: 'auth';
  readonly authMethods: AuthMethod[];
  readonly diff: FieldDiff[];
  readonly change: string;
}

/** A stored action as an upsert_action input (the server-side fields dropped). */
export function actionInputOf(stored: Record<string, unknown>): ActionInput {
  const { id: _id, connectorId: _c, createdAt: _ca, updatedAt: _ua, ...rest } = stored;
  return rest as unknown as ActionInput;
}

function paramKey(p: Parameter): string {
  return (p.wireName ?? p.name).toLowerCase();
}

/** Patches an action toward the spec's version of it for the failure's class. */
export function patchAction({
  current,
  reference,
  failure,
}: {
  current: ActionInput;
  reference: ActionInput | null;
  failure: FailedTest;
}): ActionPatch | null {
  const diff: FieldDiff[] = [];
  const next: ActionInput = { ...current, parameters: current.parameters.map((p) => ({ ...p })) };
  const cls = failure.errorClass;
  const why: string[] = [];

  if (reference !== null && (cls === 'path' || cls === 'method' || cls === 'base_url')) {
    if (reference.path !== current.path) {
      diff.push({ field: 'path', before: current.path, after: reference.path });
      next.path = reference.path;
      why.push(`path ${current.path} → ${reference.path}`);
    }
    if (reference.method !== current.method) {
      diff.push({ field: 'method', before: current.method, after: reference.method });
      next.method = reference.method;
      why.push(`method ${current.method} → ${reference.method}`);
    }
  }
  if (
    reference !== null &&
    (cls === 'parameter_location' || cls === 'input_schema' || cls === 'path')
  ) {
    const wanted = new Map(reference.parameters.map((p) => [paramKey(p), p]));
    for (const p of next.parameters) {
      const spec = wanted.get(paramKey(p));
      if (spec !== undefined && spec.in !== p.in) {
        diff.push({ field: `parameters.${p.name}.in`, before: p.in, after: spec.in });
        why.push(`${p.name} in ${p.in} → ${spec.in}`);
        p.in = spec.in;
        if (spec.in !== 'body') delete p.whole;
      }
    }
    // Path templates name their parameters: `{petId}` needs a path parameter petId.
    for (const name of [...next.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')) {
      if (next.parameters.some((p) => p.in === 'path' && (p.wireName ?? p.name) === name)) continue;
      const spec = reference.parameters.find(
        (p) => p.in === 'path' && (p.wireName ?? p.name) === name,
      );
      const renamed = next.parameters.findIndex(
        (p) => p.in === 'path' && !next.path.includes(`{${p.wireName ?? p.name}}`),
      );
      if (spec === undefined) continue;
      if (renamed >= 0) {
        const old = next.parameters[renamed];
        diff.push({ field: `parameters.${old?.name ?? name}`, before: old, after: spec });
        next.parameters[renamed] = { ...spec };
      } else {
        diff.push({ field: `parameters.${name}`, before: null, after: spec });
        next.parameters.push({ ...spec });
      }
      why.push(`path parameter ${name}`);
    }
    for (const spec of reference.parameters) {
      if (!spec.required || next.parameters.some((p) => paramKey(p) === paramKey(spec))) continue;
      diff.push({ field: `parameters.${spec.name}`, before: null, after: spec });
      next.parameters.push({ ...spec });
      why.push(`required ${spec.in} parameter ${spec.name} added`);
    }
  }
  if (cls === 'output_schema') {
    const fromAnswer =
      failure.responseBody !== undefined && failure.responseBody !== null
        ? inferSchema(failure.responseBody)
        : undefined;
    const after =
      reference?.outputSchema !== undefined &&
      JSON.stringify(reference.outputSchema) !== JSON.stringify(current.outputSchema)
        ? reference.outputSchema
        : fromAnswer;
    if (after !== undefined) {
      diff.push({ field: 'outputSchema', before: current.outputSchema ?? null, after });
      next.outputSchema = after;
      why.push('output schema from the real answer');
    }
  }
  if (diff.length === 0) return null;
  // The input schema is derived again from the patched parameters.
  if (diff.some((d) => d.field.startsWith('parameters'))) delete next.inputSchema;
  return {
    kind: 'action',
    action: next,
    diff,
    change: `${current.slug}: ${why.join('; ')} (${cls ?? 'failure'})`,
  };
}

/** `ApiKey header="X-Api-Key"`, `needs an API key in the header 'api_key'` → where the key goes. */
export function keyPlacementFrom(
  failure: FailedTest,
): { in: 'header' | 'query'; name: string } | null {
  const challenge = failure.responseHeaders?.['www-authenticate'] ?? '';
  const header = /\bheader="([^"]+)"/i.exec(challenge)?.[1];
  if (header !== undefined) return { in: 'header', name: header };
  const query = /\b(?:query|param(?:eter)?)="([^"]+)"/i.exec(challenge)?.[1];
  if (query !== undefined) return { in: 'query', name: query };
  const text = failure.error ?? '';
  const said = /(header|query)[^'"`]*['"`]([A-Za-z0-9_-]+)['"`]/i.exec(text);
  if (said?.[1] !== undefined && said[2] !== undefined)
    return { in: said[1].toLowerCase() === 'query' ? 'query' : 'header', name: said[2] };
  return null;
}

/** An auth method's wire shape, to compare the connector's with the spec's. */
function wireShape(m: AuthMethod): string {
  if (m.type === 'api_key')
    return `api_key ${m.in} ${m.name.toLowerCase()} ${m.prefix?.trim().toLowerCase() ?? ''}`;
  return m.type;
}

/**
 * Puts the connector's credentials where the spec (or the API's challenge) says they go: an API
 * key under the right name and place, and a method sending the wrong scheme word (`Token` where
 * the spec says `Bearer`) back to the spec's scheme. Each method is compared with the spec's
 * method of the same key, else with the spec's only method of a kind.
 */
export function patchAuth({
  current,
  reference,
  failure,
}: {
  current: readonly AuthMethod[];
  reference: readonly AuthMethod[] | null;
  failure: FailedTest;
}): AuthPatch | null {
  const diff: FieldDiff[] = [];
  const why: string[] = [];
  const specKeys = (reference ?? []).filter((m) => m.type === 'api_key');
  const next = current.map((m): AuthMethod => {
    const spec = reference?.find((r) => r.key === m.key);
    // The scheme itself is wrong: the spec's method of this key sends something else.
    if (spec !== undefined && spec.type !== 'oauth2' && wireShape(spec) !== wireShape(m)) {
      if (spec.type !== 'api_key' || m.type !== 'api_key') {
        diff.push({ field: `authMethods.${m.key}`, before: m, after: spec });
        why.push(`${m.key} sends ${wireShape(spec)} as the spec says`);
        return spec;
      }
    }
    if (m.type !== 'api_key') return m;
    const specKey =
      spec?.type === 'api_key' ? spec : specKeys.length === 1 ? specKeys[0] : undefined;
    const placement =
      specKey?.type === 'api_key'
        ? { in: specKey.in, name: specKey.name, prefix: specKey.prefix }
        : keyPlacementFrom(failure);
    if (placement === null) return m;
    const samePrefix =
      !('prefix' in placement) ||
      (placement.prefix ?? '').trim().toLowerCase() === (m.prefix ?? '').trim().toLowerCase();
    if (
      m.in === placement.in &&
      m.name.toLowerCase() === placement.name.toLowerCase() &&
      samePrefix
    )
      return m;
    diff.push({
      field: `authMethods.${m.key}`,
      before: { in: m.in, name: m.name, ...(m.prefix === undefined ? {} : { prefix: m.prefix }) },
      after: {
        in: placement.in,
        name: placement.name,
        ...('prefix' in placement && placement.prefix !== undefined
          ? { prefix: placement.prefix }
          : {}),
      },
    });
    why.push(`API key moved to the ${placement.in} ${placement.name}`);
    const { prefix: _prefix, ...rest } = m;
    return {
      ...rest,
      in: placement.in,
      name: placement.name,
      ...('prefix' in placement
        ? placement.prefix === undefined
          ? {}
          : { prefix: placement.prefix }
        : m.prefix !== undefined
          ? { prefix: m.prefix }
          : {}),
    };
  });
  if (diff.length === 0) return null;
  return { kind: 'auth', authMethods: next, diff, change: `${why.join('; ')} (auth)` };
}

/** The part of a base URL after its origin: `https://{host}.x.com/v2/` → `/v2`. */
function basePathOf(baseUrl: string): { origin: string; path: string } {
  const at = baseUrl.indexOf('/', baseUrl.indexOf('://') + 3);
  if (at < 0) return { origin: baseUrl, path: '' };
  return { origin: baseUrl.slice(0, at), path: baseUrl.slice(at).replace(/\/+$/, '') };
}

/**
 * A request outside the API's base path (the mock's `base_url` class): the spec's base path on
 * the connector's own origin, so a sandbox or regional host the user chose stays.
 */
export function patchBasePath({
  current,
  reference,
}: {
  current: string | null;
  reference: string | null;
}): { baseUrl: string; diff: FieldDiff[]; change: string } | null {
  if (current === null || reference === null) return null;
  const mine = basePathOf(current);
  const spec = basePathOf(reference);
  if (mine.path === spec.path) return null;
  const baseUrl = `${mine.origin}${spec.path}`;
  return {
    baseUrl,
    diff: [{ field: 'baseUrl', before: current, after: baseUrl }],
    change: `base path ${mine.path || '/'} → ${spec.path || '/'} (base_url)`,
  };
}
