// What was built, read back through the admin MCP tools as any client would see it: the exported
// connector document (auth, base URL, actions, events), the saved mappings (list_mappings) with
// the record schema each was made from (the action's output schema at the record path
// suggest_mapping reports for it), and a test of the actions against the strict mock of the
// spec (test_actions mock: true) or, for a live API, through a connection made with the case's
// credentials. The scorers read only this.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expandRefs, localResolver } from '../server/cdm/suggest-expressions.ts';
import { messageOf } from './cases.ts';
import { callTool } from './runners/types.ts';

export interface BuiltAction {
  slug: string;
  method: string;
  path: string;
  inputSchema?: unknown;
  /** Its request body's fields, from its `in: body` parameters. */
  bodyFields?: Readonly<Record<string, unknown>>;
  outputSchema?: unknown;
}

export interface BuiltMapping {
  entity: string;
  /**
   * to_canonical: canonical field → JSONata expression over one source record. from_canonical
   * (an entity the API only takes): body path → expression over the canonical record.
   */
  fields: Record<string, string>;
  direction: 'to_canonical' | 'from_canonical';
  /** The action it was made from, when known. */
  action: string | null;
  /**
   * The API's record: the action's output schema at its record path, or for a from_canonical
   * mapping its request body.
   */
  recordSchema: unknown;
}

export interface ActionTests {
  target: 'mock' | 'connection';
  passed: number;
  failed: number;
  skipped: number;
  failures: { action: string; errorClass: string | null; status: number | null }[];
}

export interface BuiltConnector {
  slug: string;
  baseUrl: string | null;
  /** Server variables at their defaults, for comparing base URLs. */
  serverVariables: Record<string, string>;
  authTypes: string[];
  actions: BuiltAction[];
  events: string[];
  mappings: BuiltMapping[];
  tests: ActionTests | null;
  /** Problems met while reading back (a tool that failed), kept in the report. */
  notes: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A property of an object schema, its own or one of its `allOf` parts'. */
function propertyOf(node: unknown, name: string): unknown {
  if (!isObject(node)) return undefined;
  if (isObject(node['properties']) && Object.hasOwn(node['properties'], name))
    return node['properties'][name];
  const parts = Array.isArray(node['allOf']) ? (node['allOf'] as unknown[]) : [];
  for (const part of parts) {
    const found = propertyOf(part, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The schema at a record path (`data[]`, `[]`, `a.b[]`) of a response schema. */
export function schemaAtRecordPath(schema: unknown, recordPath: string | null): unknown {
  if (recordPath === null || recordPath === '') return schema;
  let node: unknown = schema;
  for (const part of recordPath.split('.')) {
    const name = part.replace(/\[\]$/, '');
    if (name !== '') node = propertyOf(node, name);
    if (part.endsWith('[]')) node = isObject(node) ? node['items'] : undefined;
  }
  return node;
}

/** The action named by a mapping note such as "suggested from list_orders …". */
function actionInNote(note: unknown): string | null {
  if (typeof note !== 'string') return null;
  return /\bfrom ([A-Za-z][A-Za-z0-9_-]*)/.exec(note)?.[1] ?? null;
}

export async function readBack({
  client,
  slug,
  mappingActions,
  credentials,
}: {
  client: Client;
  slug: string;
  mappingActions: Readonly<Record<string, string>>;
  /** Test through a connection with these credentials instead of the mock. */
  credentials?: Readonly<Record<string, string>> | undefined;
}): Promise<BuiltConnector> {
  const notes: string[] = [];
  const doc = await callTool(client, 'export_connector', { connector: slug });
  const connector = doc['connector'] as Json;
  const variables = isObject(connector['serverVariables']) ? connector['serverVariables'] : {};
  const actions = ((doc['actions'] as Json[] | undefined) ?? []).map((a): BuiltAction => ({
    slug: String(a['slug']),
    method: String(a['method']).toUpperCase(),
    path: String(a['path']),
    inputSchema: a['inputSchema'],
    bodyFields: Object.fromEntries(
      ((a['parameters'] as Json[] | undefined) ?? [])
        .filter((p) => p['in'] === 'body')
        .map((p) => [String(p['wireName'] ?? p['name']), p['schema'] ?? {}]),
    ),
    outputSchema: a['outputSchema'],
  }));
  const listed = await callTool(client, 'list_mappings', { connector: slug });
  const mappings: BuiltMapping[] = [];
  const all = (listed['data'] as Json[] | undefined) ?? [];
  const reads = new Set(
    all.filter((m) => m['direction'] === 'to_canonical').map((m) => m['entity']),
  );
  for (const m of all) {
    // A write-back mapping counts for an entity that has no read mapping: the API only takes it.
    if (m['direction'] === 'from_canonical' && !reads.has(m['entity'])) {
      const entity = String(m['entity']);
      const action = mappingActions[entity] ?? actionInNote(m['note']);
      const built = actions.find((a) => a.slug === action);
      mappings.push({
        entity,
        fields: (m['fields'] as Record<string, string> | undefined) ?? {},
        direction: 'from_canonical',
        action,
        recordSchema: built === undefined ? undefined : bodyOf(built),
      });
      continue;
    }
    if (m['direction'] !== 'to_canonical') continue;
    const entity = String(m['entity']);
    const action = mappingActions[entity] ?? actionInNote(m['note']);
    let recordSchema: unknown;
    const built = actions.find((a) => a.slug === action);
    if (action !== null && built !== undefined) {
      try {
        const suggestion = await callTool(client, 'suggest_mapping', {
          connector: slug,
          action,
          entity,
        });
        const output = expandRefs(built.outputSchema, localResolver(built.outputSchema));
        recordSchema = schemaAtRecordPath(
          output,
          (suggestion['recordPath'] as string | null) ?? null,
        );
      } catch (cause) {
        notes.push(`record schema of ${entity} (${action}): ${messageOf(cause)}`);
      }
    }
    mappings.push({
      entity,
      fields: (m['fields'] as Record<string, string> | undefined) ?? {},
      direction: 'to_canonical',
      action,
      recordSchema,
    });
  }
  let tests: ActionTests | null = null;
  try {
    let connectionId: string | undefined;
    if (credentials !== undefined && Object.keys(credentials).length > 0) {
      const connection = await callTool(client, 'create_connection', {
        connector: slug,
        customerId: null,
        credentials,
      });
      connectionId = String(connection['id']);
    }
    const result = await callTool(client, 'test_actions', {
      connector: slug,
      ...(connectionId === undefined ? { mock: true } : { connectionId }),
    });
    tests = {
      target: result['target'] as 'mock' | 'connection',
      passed: Number(result['passed']),
      failed: Number(result['failed']),
      skipped: Number(result['skipped']),
      failures: ((result['results'] as Json[] | undefined) ?? [])
        .filter((r) => r['outcome'] === 'fail')
        .map((r) => ({
          action: String(r['action']),
          errorClass: (r['errorClass'] as string | null) ?? null,
          status: (r['status'] as number | null) ?? null,
        })),
    };
  } catch (cause) {
    notes.push(`test_actions: ${messageOf(cause)}`);
  }
  return {
    slug,
    baseUrl: typeof connector['baseUrl'] === 'string' ? connector['baseUrl'] : null,
    serverVariables: Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [
        k,
        isObject(v) && typeof v['default'] === 'string' ? v['default'] : '',
      ]),
    ),
    authTypes: ((connector['authMethods'] as Json[] | undefined) ?? []).map((m) =>
      String(m['type']),
    ),
    actions,
    events: ((doc['events'] as Json[] | undefined) ?? []).map((e) => String(e['name'])),
    mappings,
    tests,
    notes,
  };
}

/** An action's request body, as a record schema. */
function bodyOf(action: BuiltAction): unknown {
  return { type: 'object', properties: { ...action.bodyFields } };
}
