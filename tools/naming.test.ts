// One naming scheme over every admin tool, so an agent that has learned one tool can guess the
// next: `<verb>_<noun>` from a closed list of verbs; a Weft id is always `<noun>Id` (a UUID),
// never a bare `id`; a reference that also takes a slug is the bare noun (`connector`,
// `workflow`, `action`), and a noun is spelled the same way in every tool; every `update_*` is
// flat (the reference plus the fields to change, no `changes{}`); and an unknown argument is
// answered with the closest valid key.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ADMIN_TOOLS, STDIO_ONLY_TOOLS } from './index.ts';
import { advertisedInput, closestKey, defineTool, jsonSchemaOf, runTool } from './define-tool.ts';
import type { ToolServices } from './define-tool.ts';

export const VERBS = [
  'list',
  'get',
  'create',
  'update',
  'delete',
  'upsert',
  'import',
  'export',
  'upload',
  'discover',
  'read',
  'probe',
  'run',
  'test',
  'start',
  'set',
  'preview',
  'suggest',
  'save',
  'publish',
  'deploy',
  'replay',
  'proxy',
  'describe',
  'enable',
  'build',
  'approve',
] as const;

/**
 * `<x>Id` fields that are not Weft ids: an id in the customer's own system (of the customer, of
 * one of its users), an OAuth client.
 */
const FOREIGN_IDS = new Set(['externalId', 'clientId', 'endUserId']);

type Json = Record<string, unknown>;
const TOOLS = [...ADMIN_TOOLS, ...STDIO_ONLY_TOOLS];

/** Every property of a JSON Schema with its path, through objects, arrays and unions. */
function properties(schema: unknown, path = ''): { path: string; key: string; schema: Json }[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Json;
  const out: { path: string; key: string; schema: Json }[] = [];
  for (const branch of [...((s['anyOf'] ?? s['oneOf'] ?? []) as unknown[])])
    out.push(...properties(branch, path));
  if (s['items']) out.push(...properties(s['items'], `${path}[]`));
  const props = (s['properties'] ?? {}) as Record<string, Json>;
  for (const [key, sub] of Object.entries(props)) {
    out.push({ path: `${path}.${key}`, key, schema: sub });
    out.push(...properties(sub, `${path}.${key}`));
  }
  return out;
}

const isUuidSchema = (s: Json): boolean =>
  s['format'] === 'uuid' ||
  (Array.isArray(s['anyOf']) &&
    (s['anyOf'] as Json[]).some((b) => b['format'] === 'uuid') &&
    (s['anyOf'] as Json[]).every((b) => b['format'] === 'uuid' || b['type'] === 'null'));

describe('tool naming', () => {
  it.each(TOOLS.map((t) => [t.name, t] as const))('%s is <verb>_<noun>', (name) => {
    const [verb, ...noun] = name.split('_');
    expect(VERBS, `${name}: verb '${verb}' is not in the list`).toContain(verb);
    expect(noun.length, `${name} has no noun`).toBeGreaterThan(0);
    expect(name).toMatch(/^[a-z]+(_[a-z]+)+$/);
    expect(name.length).toBeLessThanOrEqual(64);
  });

  it('ids are <noun>Id (UUIDs), never a bare id, in every input', () => {
    const offenders: string[] = [];
    for (const tool of TOOLS) {
      for (const p of properties(jsonSchemaOf(advertisedInput(tool)))) {
        if (p.key === 'id') offenders.push(`${tool.name}${p.path}: a bare 'id'; name it <noun>Id`);
        if (/Id$/.test(p.key) && !FOREIGN_IDS.has(p.key) && p.key !== 'traceId') {
          if (!isUuidSchema(p.schema))
            offenders.push(`${tool.name}${p.path}: an <noun>Id that is not a UUID`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('a noun is referenced one way in every tool: <noun>Id or <noun>, not both', () => {
    const forms = new Map<string, Set<string>>();
    for (const tool of TOOLS) {
      for (const key of Object.keys(tool.input.shape)) {
        const noun = key.replace(/Id$/, '');
        if (FOREIGN_IDS.has(key)) continue;
        (forms.get(noun) ?? forms.set(noun, new Set()).get(noun))?.add(
          `${key === noun ? 'bare' : 'Id'}`,
        );
      }
    }
    const both = [...forms].filter(([, f]) => f.size > 1).map(([noun]) => noun);
    // A top-level key is either the reference form or the Id form, never both across tools.
    const references = new Map<string, string[]>();
    for (const tool of TOOLS)
      for (const key of Object.keys(tool.input.shape))
        if (both.includes(key.replace(/Id$/, '')))
          references.set(key, [...(references.get(key) ?? []), tool.name]);
    expect(Object.fromEntries(references)).toEqual({});
  });

  it('get_, delete_ and update_ tools name what they act on by <noun>Id or <noun>', () => {
    const offenders: string[] = [];
    const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
    for (const tool of TOOLS) {
      const [verb, ...rest] = tool.name.split('_');
      if (!['get', 'delete', 'update'].includes(verb ?? '')) continue;
      const noun = lower(rest.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(''));
      const last = rest.at(-1) ?? '';
      const keys = Object.keys(tool.input.shape);
      const names = [noun, `${noun}Id`, last, `${last}Id`];
      // Named by a composite key: a canonical entity's schema by its entity; a mapping by
      // connector, entity and direction.
      // Composite keys, or a resource that is one per customer (its gateway).
      if (
        [
          'get_cdm_schema',
          'get_mapping',
          'delete_mapping',
          'get_gateway',
          'update_gateway',
        ].includes(tool.name)
      )
        continue;
      if (!keys.some((k) => names.includes(k)))
        offenders.push(`${tool.name}: none of ${names.join(' / ')} in (${keys.join(', ')})`);
    }
    expect(offenders).toEqual([]);
  });

  it('every update_* has one flat shape: the reference plus optional fields, no changes{}', () => {
    const updates = TOOLS.filter((t) => t.name.startsWith('update_'));
    expect(updates.length).toBeGreaterThanOrEqual(4);
    for (const tool of updates) {
      const shape = tool.input.shape as Record<string, z.ZodType>;
      expect(Object.keys(shape), tool.name).not.toContain('changes');
      const required = Object.entries(shape)
        .filter(([, s]) => !s.safeParse(undefined).success)
        .map(([k]) => k);
      expect(required, `${tool.name}: only the reference is required`).toHaveLength(1);
      expect(required[0], tool.name).toMatch(/^[a-z]+(Id)?$/);
    }
  });
});

describe('an unknown argument names the closest valid key', () => {
  it('matches typos and bare ids', () => {
    expect(closestKey('id', ['connectionId', 'dryRun'])).toBe('connectionId');
    expect(closestKey('conector', ['connector', 'action'])).toBe('connector');
    expect(closestKey('changes', ['connector', 'name', 'baseUrl'])).toBeNull();
    expect(closestKey('workflowId', ['workflow', 'environment'])).toBe('workflow');
  });

  it('says so in the validation error, at the top and nested', async () => {
    const tool = defineTool({
      name: 'test_naming',
      title: 'Naming',
      description: 'A tool for this test only',
      input: z
        .object({ connectionId: z.uuid(), request: z.object({ method: z.string() }).strict() })
        .strict(),
      output: z.object({}),
      annotations: { readOnlyHint: true },
      permission: null,
      handler: () => Promise.resolve({}),
    });
    const outcome = await runTool({
      tool,
      args: { id: 'x', request: { methd: 'GET' } },
      ctx: { tenant: {} } as unknown as ToolServices,
      onUnexpected: () => 'ref',
    });
    expect(outcome.ok).toBe(false);
    const message = outcome.ok ? '' : outcome.message;
    expect(message).toContain('"id" (did you mean "connectionId"?)');
    expect(message).toContain('request: Unrecognized key "methd" (did you mean "method"?)');
  });
});
