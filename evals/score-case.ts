// Scores one built connector against its gold label: every scorer in evals/scorers/, fed with
// what was read back (evals/read-back.ts) and with what the gold and the spec say. The spec is
// read here, on the scoring side only, to list its operations and to read the gold schema's
// properties; the system under test never sees either.
import { loadSpec } from '../server/import/load.ts';
import { createResolver, isObject, propertiesOf, viewOf } from '../server/import/schema.ts';
import { PATH_ITEM_METHODS } from '../server/import/operations.ts';
import { schemaNamed } from '../server/cdm/suggest-spec.ts';
import type { FetchText } from '../server/import/types.ts';
import type { Gold } from './cases.ts';
import type { BuiltConnector } from './read-back.ts';
import { scoreActions, type ActionCoverageScore } from './scorers/actions.ts';
import { scoreAuth, type AuthScore } from './scorers/auth.ts';
import { scoreBaseUrl, type BaseUrlScore } from './scorers/base-url.ts';
import { scoreEntities, type EntityScore } from './scorers/entities.ts';
import { scoreEvents, type EventScore } from './scorers/events.ts';
import { goldTriples, scoreFields, triplesOfMapping, type FieldScore } from './scorers/fields.ts';
import { scoreTests, type TestScore } from './scorers/tests.ts';

export interface CaseScores {
  auth: AuthScore;
  baseUrl: BaseUrlScore;
  actions: ActionCoverageScore;
  events: EventScore;
  entities: EntityScore;
  fields: FieldScore;
  tests: TestScore;
}

/** What the scorers need from the spec: its operations and each gold schema's properties. */
export interface SpecFacts {
  operations: string[] | null;
  goldSchemaProperties: Record<string, string[]>;
  /** The same without read-only properties: what a request body of the schema can hold. */
  goldWritableProperties?: Record<string, string[]>;
}

const noFetch: FetchText = (url) => Promise.reject(new Error(`no network while scoring (${url})`));

export async function specFacts({
  specPath,
  gold,
}: {
  specPath: string;
  gold: Gold;
}): Promise<SpecFacts> {
  let document: Record<string, unknown>;
  try {
    document = (await loadSpec({ source: { kind: 'path', path: specPath }, fetchText: noFetch }))
      .document;
  } catch {
    return { operations: null, goldSchemaProperties: {} };
  }
  const operations: string[] = [];
  const paths = document['paths'];
  if (isObject(paths))
    for (const [path, item] of Object.entries(paths)) {
      if (!isObject(item) || path.startsWith('x-')) continue;
      for (const method of PATH_ITEM_METHODS)
        if (Object.hasOwn(item, method)) operations.push(`${method.toUpperCase()} ${path}`);
    }
  const resolver = createResolver(document);
  const goldSchemaProperties: Record<string, string[]> = {};
  const goldWritableProperties: Record<string, string[]> = {};
  for (const [entity, label] of Object.entries(gold.entities)) {
    const schema = schemaNamed({ document, name: label.schema });
    const properties = schema === undefined ? [] : [...propertiesOf({ node: schema, resolver })];
    goldSchemaProperties[entity] = properties.map(([name]) => name);
    goldWritableProperties[entity] = properties
      .filter(([, node]) => {
        const view = viewOf({ node, resolver });
        return view === undefined || view.schema['readOnly'] !== true;
      })
      .map(([name]) => name);
  }
  return {
    operations: document['paths'] === undefined && gold.operations > 0 ? null : operations,
    goldSchemaProperties,
    goldWritableProperties,
  };
}

function recordProperties(schema: unknown): string[] {
  if (!isObject(schema)) return [];
  return [...propertiesOf({ node: schema, resolver: createResolver(schema) }).keys()];
}

export function scoreBuilt({
  gold,
  facts,
  built,
}: {
  gold: Gold;
  facts: SpecFacts;
  built: BuiltConnector;
}): CaseScores {
  const saved = new Set<string>();
  for (const m of built.mappings)
    for (const t of triplesOfMapping({
      entity: m.entity,
      fields: m.fields,
      direction: m.direction,
    }))
      saved.add(t);
  return {
    auth: scoreAuth({ expected: gold.auth.primary, authTypes: built.authTypes }),
    baseUrl: scoreBaseUrl({
      expected: gold.baseUrl,
      baseUrl: built.baseUrl,
      serverVariables: built.serverVariables,
    }),
    actions: scoreActions({
      actions: built.actions,
      expectedOperations: gold.actions ?? facts.operations,
      expectedCount: gold.operations,
    }),
    events: scoreEvents({ expected: gold.events, built: built.events }),
    entities: scoreEntities({
      // A write-back mapping's record is a request body: it never holds read-only properties.
      gold: Object.fromEntries(
        Object.entries(facts.goldSchemaProperties).map(([entity, properties]) => [
          entity,
          built.mappings.some((m) => m.entity === entity && m.direction === 'from_canonical')
            ? (facts.goldWritableProperties?.[entity] ?? properties)
            : properties,
        ]),
      ),
      built: Object.fromEntries(
        built.mappings.map((m) => {
          const action = built.actions.find((a) => a.slug === m.action);
          return [
            m.entity,
            {
              properties: recordProperties(m.recordSchema),
              action: m.action,
              ...(action !== undefined && { operation: `${action.method} ${action.path}` }),
            },
          ];
        }),
      ),
      goldOperations: Object.fromEntries(
        Object.entries(gold.entities).map(([entity, label]) => [
          entity,
          Object.values(label.operations ?? {}),
        ]),
      ),
    }),
    fields: scoreFields({ gold: goldTriples(gold.entities), saved }),
    tests: scoreTests(built.tests),
  };
}

/** Scores of a case that built nothing: every check fails against the gold. */
export function scoreNothing({ gold, facts }: { gold: Gold; facts: SpecFacts }): CaseScores {
  return scoreBuilt({
    gold,
    facts,
    built: {
      slug: '',
      baseUrl: null,
      serverVariables: {},
      authTypes: [],
      actions: [],
      events: [],
      mappings: [],
      tests: null,
      notes: [],
    },
  });
}
