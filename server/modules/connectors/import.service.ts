import type { Database } from '../../db/database.ts';
import type { Connector, ConnectorDocument } from '../../domain/connector.ts';
import type { Selection } from '../../domain/import.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import type { ConnectorDiff } from '../../import/diff.ts';
import type { ImportResult } from '../../import/types.ts';
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
  requirePermission(tenant, 'connectors:write');
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
  if (isEmptyDiff(diff))
    return { ...base, outcome: 'unchanged', connector: null, diff, summary: 'no changes' };
  if (!apply || dryRun) return { ...base, outcome: 'preview', connector: null, diff, summary };
  onProgress?.('save');
  const merged = applyDiff({ current, incoming, diff, options: { removeMissing } });
  const connector = await importConnectorDocument({ db, tenant, document: merged, replace: true });
  return { ...base, outcome: 'updated', connector, diff, summary };
}
