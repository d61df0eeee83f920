import type { Database } from '../../db/database.ts';
import type { Connector, ConnectorDocument } from '../../domain/connector.ts';
import type { Selection } from '../../domain/import.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import type { ConnectorDiff } from '../../import/diff.ts';
import type { ImportResult } from '../../import/types.ts';
import { specUrlProblem } from '../../domain/spec.ts';
import { specText } from '../specs/specs.service.ts';
import { keepConnectorSpec } from '../action-tests/action-tests.service.ts';
import { exportConnector, importConnectorDocument } from './connectors.service.ts';

export type SpecSource =
  | { kind: 'url'; url: string }
  | { kind: 'text'; text: string; name?: string }
  | { kind: 'path'; path: string };

export interface SpecImportOutcome {
  /** created: a new connector; updated: changes applied; unchanged; preview: nothing written. */
  outcome: 'created' | 'updated' | 'unchanged' | 'preview';
  connector: Connector | null;
  slug: string;
  diff: ConnectorDiff | null;
  summary: string;
  warnings: ImportResult['warnings'];
  stats: ImportResult['stats'];
  entities: ImportResult['entities'];
  ranking: ImportResult['ranking'];
}

/**
 * The source an import request names: exactly one of a URL (checked here, so a refused URL
 * says what is accepted instead), inline text, or a stored spec's id.
 */
export async function specSourceOf({
  db,
  tenant,
  url,
  text,
  specId,
}: {
  db: Database;
  tenant: Tenant;
  url: string | undefined;
  text: string | undefined;
  specId: string | undefined;
}): Promise<SpecSource> {
  const given = [url, text, specId].filter((v) => v !== undefined).length;
  if (given !== 1)
    throw new AppError(
      'validation_failed',
      'give exactly one of url (http/https), text (the spec itself) or specId (a stored spec)',
    );
  if (url !== undefined) {
    const problem = specUrlProblem(url);
    if (problem !== null) throw new AppError('validation_failed', problem, { field: 'url' });
    return { kind: 'url', url };
  }
  if (text !== undefined) return { kind: 'text', text };
  const stored = await specText({ db, tenant, specId: specId ?? '' });
  return { kind: 'text', text: stored.text, ...(stored.name !== null && { name: stored.name }) };
}

/**
 * Imports a spec into a connector. A new slug creates the connector; an existing one gets a
 * diff, applied only with `apply` (actions and events the spec dropped are kept unless
 * `removeMissing`). `dryRun` writes nothing in either case.
 */
export async function importSpecIntoConnector({
  db,
  tenant,
  source,
  fetchText,
  selection,
  slug,
  apply,
  removeMissing,
  dryRun,
  onProgress,
}: {
  db: Database;
  tenant: Tenant;
  source: SpecSource;
  fetchText: (url: string) => Promise<string>;
  selection: Selection;
  slug: string | undefined;
  apply: boolean;
  removeMissing: boolean;
  dryRun: boolean;
  onProgress?: (phase: string) => void;
}): Promise<SpecImportOutcome> {
  requirePermission(tenant, 'connectors:create');
  // The importer (spec parsing, $ref resolution) is loaded on first use: most processes never need it.
  const [{ importSpec }, { applyDiff, diffDocuments, isEmptyDiff, summarizeDiff }] =
    await Promise.all([import('../../import/index.ts'), import('../../import/diff.ts')]);
  const result = await importSpec({
    source,
    fetchText,
    selection,
    ...(onProgress && { onProgress }),
  });
  const incoming: ConnectorDocument =
    slug === undefined
      ? result.document
      : { ...result.document, connector: { ...result.document.connector, slug } };
  const targetSlug = incoming.connector.slug;
  const base = {
    slug: targetSlug,
    warnings: result.warnings,
    stats: result.stats,
    entities: result.entities,
    ranking: result.ranking,
  };

  let current: ConnectorDocument | null = null;
  try {
    current = await exportConnector({ db, tenant, ref: targetSlug });
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'not_found') throw error;
  }

  if (current === null) {
    const summary = `${incoming.actions.length} actions, ${incoming.events.length} events, ${incoming.connector.authMethods.length} auth methods`;
    if (dryRun)
      return {
        ...base,
        outcome: 'preview',
        connector: null,
        diff: null,
        summary: `would create connector '${targetSlug}': ${summary}`,
      };
    onProgress?.('save');
    const connector = await importConnectorDocument({
      db,
      tenant,
      document: incoming,
      replace: false,
    });
    await keepConnectorSpec({ db, tenant, slug: targetSlug, source });
    return {
      ...base,
      outcome: 'created',
      connector,
      diff: null,
      summary: `created connector '${targetSlug}': ${summary}`,
    };
  }

  const diff = diffDocuments({ current, incoming });
  const summary = summarizeDiff(diff);
  if (isEmptyDiff(diff)) {
    // The same connector from this spec: keep the spec (connectors imported before specs were).
    if (!dryRun) await keepConnectorSpec({ db, tenant, slug: targetSlug, source });
    return { ...base, outcome: 'unchanged', connector: null, diff, summary: 'no changes' };
  }
  if (!apply || dryRun) return { ...base, outcome: 'preview', connector: null, diff, summary };
  onProgress?.('save');
  const merged = applyDiff({ current, incoming, diff, options: { removeMissing } });
  const connector = await importConnectorDocument({ db, tenant, document: merged, replace: true });
  await keepConnectorSpec({ db, tenant, slug: targetSlug, source });
  return { ...base, outcome: 'updated', connector, diff, summary };
}
