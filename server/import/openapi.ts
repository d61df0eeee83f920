import { CONNECTOR_FORMAT_VERSION } from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import { authMethodsOf, schemeUsage } from './auth.ts';
import { entitiesOf, rankActions } from './entities.ts';
import { eventsOf } from './events.ts';
import { connectorSlugOf, textOf } from './names.ts';
import { collectOperations } from './operations.ts';
import { createResolver, isObject, type Json } from './schema.ts';
import { baseUrlOf, domainOf } from './servers.ts';
import type { ImportResult, ImportWarning, SpecFormat } from './types.ts';
import { validateDocument, type DocumentDraft } from './validate.ts';

/**
 * Extracts a connector document from a loaded OpenAPI 3.x or Swagger 2.0 spec, deterministically:
 * connector identity and base URL, auth methods (primary first), one action per operation,
 * events, entity guesses and a ranking of the actions. What cannot be understood is skipped
 * with a warning that points into the spec; only a document that is not an OpenAPI/Swagger
 * object at all is an error.
 */
export function extractOpenApi({
  document,
  format,
  warnings: initial,
  specUrl,
}: {
  document: Json;
  format: SpecFormat;
  warnings: ImportWarning[];
  /** Where the spec came from, to resolve relative server URLs. */
  specUrl?: string;
}): ImportResult {
  if (format === 'postman-2.1')
    throw new AppError(
      'validation_failed',
      'a Postman collection goes through extractPostman, not the OpenAPI extractor',
    );
  if (!isObject(document)) throw new AppError('validation_failed', 'the spec is not an object');
  const warnings = [...initial];
  const resolver = createResolver(document);

  const info = isObject(document['info']) ? document['info'] : {};
  if (!isObject(document['info']))
    warnings.push({ path: '/info', reason: 'the spec has no info object' });
  const name = textOf({ value: info['title'], max: 200 }) ?? 'Imported API';
  const base = baseUrlOf({ doc: document, format, specUrl, warnings });

  const { operations, count } = collectOperations({ doc: document, format, resolver, warnings });
  const usage = schemeUsage({ global: document['security'], operations });
  const authMethods = authMethodsOf({
    doc: document,
    format,
    resolver,
    usage,
    base: base.resolved,
    warnings,
  });
  const events = eventsOf({ doc: document, format, resolver, operations, warnings });
  const analysis = entitiesOf({ operations, resolver });
  const ranking = rankActions({ operations, analysis });

  for (const info of operations) {
    const main = analysis.main.get(info.slug);
    if (main !== undefined) info.action.cdmEntity = main.entity;
  }

  const description = textOf({ value: info['description'], max: 10_000 });
  const domain = domainOf(base.resolved);
  const draft: DocumentDraft = {
    weftConnector: CONNECTOR_FORMAT_VERSION,
    connector: {
      slug: connectorSlugOf(name),
      name,
      ...(description !== undefined && { description }),
      ...(domain !== undefined && { domain }),
      ...(base.baseUrl !== undefined && { baseUrl: base.baseUrl }),
      serverVariables: base.serverVariables,
      authMethods,
    },
    actions: operations.map((o) => o.action),
    events,
  };
  const pointers = new Map(operations.map((o) => [o.slug, o.at]));
  const connectorDocument = validateDocument({ document: draft, warnings, pointers });
  const kept = new Set(connectorDocument.actions.map((a) => a.slug));

  const components = document['components'];
  const schemas =
    format === 'swagger-2.0'
      ? document['definitions']
      : isObject(components)
        ? components['schemas']
        : undefined;
  return {
    document: connectorDocument,
    entities: analysis.entities,
    ranking: ranking.filter((r) => kept.has(r.slug)),
    warnings,
    stats: {
      operations: count,
      actions: connectorDocument.actions.length,
      events: connectorDocument.events.length,
      schemas: isObject(schemas) ? Object.keys(schemas).length : 0,
    },
  };
}
