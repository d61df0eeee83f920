// Suggestions for a whole spec: every resource the importer took for a CDM entity, mapped from
// its own schema (the one-step scorer evals/cdm-score.ts reads these).
import { loadSpec } from '../import/load.ts';
import { extractOpenApi } from '../import/openapi.ts';
import { createResolver, isObject, own, type Json } from '../import/schema.ts';
import type { FetchText } from '../import/types.ts';
import { suggestMapping, type MappingSuggestion } from './suggest.ts';

/** The `components/schemas` (or Swagger 2 `definitions`) entry named `name`. */
export function schemaNamed({ document, name }: { document: Json; name: string }): unknown {
  const components = own({ record: document, key: 'components' });
  const schemas = isObject(components) ? own({ record: components, key: 'schemas' }) : undefined;
  if (isObject(schemas) && Object.hasOwn(schemas, name)) return schemas[name];
  const definitions = own({ record: document, key: 'definitions' });
  if (isObject(definitions) && Object.hasOwn(definitions, name)) return definitions[name];
  return undefined;
}

export interface SpecSuggestion extends MappingSuggestion {
  /** The resource schema the mapping reads. */
  schema: string;
}

/**
 * Imports a spec and suggests a mapping for every resource the importer recognised as a CDM
 * entity. Postman collections carry no resource schemas, so they yield nothing.
 */
export async function suggestForSpec({
  specPath,
  fetchText,
}: {
  specPath: string;
  fetchText: FetchText;
}): Promise<SpecSuggestion[]> {
  const loaded = await loadSpec({ source: { kind: 'path', path: specPath }, fetchText });
  if (loaded.format === 'postman-2.1') return [];
  const extracted = extractOpenApi({
    document: loaded.document,
    format: loaded.format,
    warnings: [...loaded.warnings],
    ...(loaded.specUrl !== undefined && { specUrl: loaded.specUrl }),
  });
  const resolver = createResolver(loaded.document);
  const resolve = (ref: string): unknown => resolver.target(ref);
  return extracted.entities.flatMap((guess) => {
    if (guess.cdmEntity === null) return [];
    const schema = schemaNamed({ document: loaded.document, name: guess.schema });
    if (schema === undefined) return [];
    return [
      { schema: guess.schema, ...suggestMapping({ entity: guess.cdmEntity, schema, resolve }) },
    ];
  });
}
