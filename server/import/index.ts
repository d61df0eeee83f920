import { loadSpec } from './load.ts';
import { extractOpenApi } from './openapi.ts';
import { extractPostman } from './postman.ts';
import { selectActions } from './select.ts';
import type { ActionSelection, FetchText, ImportResult, SpecSource } from './types.ts';
import { validateDocument } from './validate.ts';

export type {
  ActionSelection,
  EntityGuess,
  FetchText,
  ImportResult,
  ImportWarning,
  RankedAction,
  SpecSource,
} from './types.ts';

/**
 * Imports an API spec (OpenAPI 3.x, Swagger 2.0 or a Postman v2.1 collection) into a connector
 * document: load (with locked-down `$ref` resolution through `fetchText`), extract, keep the
 * selected actions, validate. Throws AppError('validation_failed') only when there is no
 * readable spec; everything else the spec gets wrong is in `warnings`.
 */
export async function importSpec({
  source,
  fetchText,
  selection = { mode: 'all' },
  onProgress,
}: {
  source: SpecSource;
  fetchText: FetchText;
  selection?: ActionSelection;
  onProgress?: (phase: string) => void;
}): Promise<ImportResult> {
  const loaded = await loadSpec({ source, fetchText, ...(onProgress && { onProgress }) });
  onProgress?.('extract');
  const extracted =
    loaded.format === 'postman-2.1'
      ? extractPostman({ collection: loaded.document, warnings: [...loaded.warnings] })
      : extractOpenApi({
          document: loaded.document,
          format: loaded.format,
          warnings: loaded.warnings,
          ...(loaded.specUrl !== undefined && { specUrl: loaded.specUrl }),
        });
  onProgress?.('select');
  const selected = selectActions({ result: extracted, selection });
  onProgress?.('validate');
  const warnings = [...selected.warnings];
  const document = validateDocument({ document: selected.document, warnings });
  const slugs = new Set(document.actions.map((a) => a.slug));
  return {
    ...selected,
    document,
    ranking: selected.ranking.filter((r) => slugs.has(r.slug)),
    warnings,
    stats: { ...selected.stats, actions: document.actions.length, events: document.events.length },
  };
}
