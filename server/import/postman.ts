/*
 * Postman collections (v2.1, and v2.0, which differs only in how auth attributes are written)
 * hold example requests rather than a contract, so everything here is inferred from examples:
 * parameters from URLs, headers and bodies, the base URL from a variable or the prefix the
 * requests share, auth methods from the collection, its folders and its requests. Whatever
 * cannot be carried over becomes a warning that points into the collection.
 *
 * This file is the entry, which runs the steps in order; the steps are in postman/:
 * collection.ts (reading the collection), auth.ts, base-url.ts, parameters.ts and actions.ts.
 * Imports run one way (actions.ts → auth.ts, parameters.ts → collection.ts), so there is no cycle.
 */
import {
  CONNECTOR_FORMAT_VERSION,
  ConnectorDocumentSchema,
  type ActionInput,
  type ConnectorDocument,
} from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import { addWarning, type ImportResult, type ImportWarning } from './types.ts';
import { buildAction, connectorSlug, rankActions } from './postman/actions.ts';
import { gatherAuth } from './postman/auth.ts';
import { baseUrlOf, chooseBase, startsWith } from './postman/base-url.ts';
import {
  descriptionOf,
  list,
  readRequest,
  readRoot,
  readVariables,
  record,
  scalarText,
  walk,
  type Ctx,
  type FoundRequest,
  type Json,
} from './postman/collection.ts';

const MAX_ACTIONS = 5000;

/**
 * Extracts a connector document from a Postman Collection (v2.1 or v2.0): one action per
 * request, auth methods from collection, folder and request auth, the base URL from a
 * `baseUrl`/`base_url`/`url` variable or the requests' common prefix. Warnings (with JSON
 * pointers into the collection) are pushed onto `warnings`, which is also returned.
 * Throws AppError('validation_failed') when the input is not a collection at all.
 */
export function extractPostman({
  collection,
  warnings,
}: {
  collection: unknown;
  warnings: ImportWarning[];
}): ImportResult {
  const { root, at } = readRoot(collection);
  const info = record(root['info']) ?? {};
  const schema = scalarText(info['schema']);
  if (schema !== undefined && !/\/v2\.[01]\.\d+\//.test(schema))
    addWarning(warnings, {
      path: `${at}/info/schema`,
      reason: 'not a v2.0 or v2.1 schema; read as v2.1',
    });
  const ctx: Ctx = {
    warnings,
    variables: readVariables({ value: root['variable'], at: `${at}/variable`, warnings }),
    schemeless: new Set(),
    root: at,
  };

  const found: FoundRequest[] = [];
  const authSources: { auth: Json; at: string }[] = [];
  const rootAuth = record(root['auth']);
  if (rootAuth !== undefined) authSources.push({ auth: rootAuth, at: `${at}/auth` });
  walk({ items: list(root['item']), at, folders: [], depth: 0, ctx, found, authSources });

  const requests = found.flatMap((f) => readRequest({ found: f, ctx }) ?? []);
  const auth = gatherAuth({ sources: authSources, requests, ctx });
  const base = chooseBase({ requests, ctx });
  const { baseUrl, serverVariables } = baseUrlOf({
    base,
    ctx,
    at: requests[0]?.urlAt ?? `${at}/item`,
  });

  const actions: ActionInput[] = [];
  const slugs = new Set<string>();
  for (const request of requests) {
    if (!startsWith({ request, base })) {
      addWarning(ctx.warnings, {
        path: request.urlAt,
        reason: `URL is outside the base URL ${[base.origin, ...base.segments].join('/').slice(0, 200)}; skipped`,
      });
      continue;
    }
    if (actions.length >= MAX_ACTIONS) {
      addWarning(ctx.warnings, {
        path: request.at,
        reason: `more than ${MAX_ACTIONS} requests; skipped`,
      });
      continue;
    }
    const action = buildAction({
      request,
      remainder: request.url.segments.slice(base.segments.length),
      names: auth.names,
      slugs,
      ctx,
    });
    if (action !== null) actions.push(action);
  }

  const title = scalarText(info['name'])?.trim().slice(0, 200) ?? '';
  if (title === '')
    addWarning(warnings, { path: `${at}/info/name`, reason: 'collection has no name' });
  const name = title || 'Imported API';
  const description = descriptionOf(info['description']);
  const document: ConnectorDocument = {
    weftConnector: CONNECTOR_FORMAT_VERSION,
    connector: {
      slug: connectorSlug(name),
      name,
      ...(description !== undefined && { description: description.slice(0, 10_000) }),
      visibility: 'private',
      ...(baseUrl !== undefined && { baseUrl }),
      serverVariables,
      authMethods: auth.methods,
    },
    actions,
    events: [],
  };
  const checked = ConnectorDocumentSchema.safeParse(document);
  if (!checked.success) {
    // Every part was validated on the way; reaching this is a bug in the extractor.
    throw new AppError(
      'internal',
      `the collection produced an invalid connector document: ${checked.error.issues[0]?.message ?? ''}`,
    );
  }
  return {
    document: checked.data,
    entities: [],
    ranking: rankActions(checked.data.actions),
    warnings,
    stats: {
      operations: found.length,
      actions: checked.data.actions.length,
      events: 0,
      schemas: 0,
    },
  };
}
