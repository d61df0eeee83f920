import fs from 'node:fs/promises';
import path from 'node:path';
import { importSpec } from '../server/import/index.ts';
import type { FetchText, ImportResult } from '../server/import/types.ts';

/**
 * Scores spec imports against the gold labels: per spec, whether the base URL (server variables
 * at their defaults), the primary auth method, the operation count and the events match, and
 * how many labelled entities were found on the labelled schema.
 */

interface Gold {
  spec: string;
  baseUrl: string | null;
  auth: { primary: string; acceptable: string[] };
  operations: number;
  events: string[];
  entities?: Record<string, { schema: string; operations: Record<string, string> }>;
}

export interface ImportSpecScore {
  spec: string;
  baseUrl: boolean;
  /** The gold's primary auth type, in Weft's names. */
  expectedAuth: string;
  /** The type of the first auth method imported, if any. */
  auth: string | null;
  operations: boolean;
  /** Gold events the import did not produce, and how many the gold lists. */
  missingEvents: number;
  events: number;
  entityHits: number;
  entityTotal: number;
  /** Why the spec could not be imported; every check then counts as a miss. */
  error?: string;
}

export interface ImportScore {
  specs: ImportSpecScore[];
  /** Fractions of specs that match, and entity schemas found over those labelled. */
  overall: {
    specs: number;
    baseUrl: number;
    auth: number;
    operations: number;
    events: number;
    entities: number;
  };
}

const noFetch: FetchText = (url) => Promise.reject(new Error(`no network while scoring (${url})`));

/** The base URL with every server variable at its default, as the gold labels write it. */
function resolvedBase(result: ImportResult): string | null {
  const c = result.document.connector;
  if (c.baseUrl === undefined) return null;
  return c.baseUrl.replace(
    /\{([^}]+)\}/g,
    (_, name: string) => c.serverVariables[name]?.default ?? name,
  );
}

function weftAuthType(name: string): string {
  return name === 'apiKey' ? 'api_key' : name;
}

function scoreOne({ gold, result }: { gold: Gold; result: ImportResult }): ImportSpecScore {
  const names = new Set(result.document.events.map((e) => e.name));
  const goldEntities = Object.entries(gold.entities ?? {});
  return {
    spec: gold.spec,
    baseUrl: resolvedBase(result) === gold.baseUrl,
    expectedAuth: weftAuthType(gold.auth.primary),
    auth: result.document.connector.authMethods[0]?.type ?? null,
    operations: result.stats.operations === gold.operations,
    // Verbatim: a rewritten name (`store/cart/created` → `store.cart.created`) is a miss.
    missingEvents: gold.events.filter((e) => !names.has(e)).length,
    events: gold.events.length,
    entityHits: goldEntities.filter(
      ([cdm, label]) => result.entities.find((e) => e.cdmEntity === cdm)?.schema === label.schema,
    ).length,
    entityTotal: goldEntities.length,
  };
}

export async function scoreImports({
  goldDir,
  specsDir,
}: {
  goldDir: string;
  specsDir: string;
}): Promise<ImportScore> {
  const files = (await fs.readdir(goldDir)).filter((f) => f.endsWith('.json')).sort();
  const specs: ImportSpecScore[] = [];
  for (const file of files) {
    const gold = JSON.parse(await fs.readFile(path.join(goldDir, file), 'utf8')) as Gold;
    try {
      const result = await importSpec({
        source: { kind: 'path', path: path.join(specsDir, gold.spec) },
        fetchText: noFetch,
        selection: { mode: 'all' },
      });
      specs.push(scoreOne({ gold, result }));
    } catch (cause) {
      specs.push({
        spec: gold.spec,
        baseUrl: false,
        expectedAuth: weftAuthType(gold.auth.primary),
        auth: null,
        operations: false,
        missingEvents: gold.events.length,
        events: gold.events.length,
        entityHits: 0,
        entityTotal: Object.keys(gold.entities ?? {}).length,
        error: cause instanceof Error ? cause.message : String(cause),
      });
    }
  }
  const fraction = (ok: (s: ImportSpecScore) => boolean): number =>
    specs.length === 0 ? 1 : specs.filter(ok).length / specs.length;
  const sum = (key: 'entityHits' | 'entityTotal'): number =>
    specs.reduce((total, s) => total + s[key], 0);
  return {
    specs,
    overall: {
      specs: specs.length,
      baseUrl: fraction((s) => s.baseUrl),
      auth: fraction((s) => s.auth === s.expectedAuth),
      operations: fraction((s) => s.operations),
      events: fraction((s) => s.missingEvents === 0),
      entities: sum('entityHits') / Math.max(1, sum('entityTotal')),
    },
  };
}

/** A plain-text table: one row per spec, then the overall match. */
export function formatImportScore(score: ImportScore): string {
  const mark = (ok: boolean): string => (ok ? 'ok' : 'MISS');
  const rows = [
    ['spec', 'baseUrl', 'auth', 'ops', 'events', 'entities'],
    ...score.specs.map((s) => [
      s.spec + (s.error === undefined ? '' : ` (${s.error})`),
      mark(s.baseUrl),
      s.auth === s.expectedAuth ? 'ok' : `${s.auth ?? '-'}≠${s.expectedAuth}`,
      mark(s.operations),
      s.missingEvents === 0 ? 'ok' : `missing ${s.missingEvents}/${s.events}`,
      `${s.entityHits}/${s.entityTotal}`,
    ]),
  ];
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const table = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const o = score.overall;
  const hits = score.specs.reduce((n, s) => n + s.entityHits, 0);
  const total = score.specs.reduce((n, s) => n + s.entityTotal, 0);
  return [
    ...table,
    '',
    `match over ${o.specs} specs: baseUrl ${o.baseUrl.toFixed(2)}, primary auth ${o.auth.toFixed(2)}, operations ${o.operations.toFixed(2)}, events ${o.events.toFixed(2)}; entity schemas ${hits}/${total}`,
  ].join('\n');
}

// `node evals/import-score.ts [evalsDir]` prints the table.
if (import.meta.main) {
  const dir = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, 'data'));
  const score = await scoreImports({
    goldDir: path.join(dir, 'gold'),
    specsDir: path.join(dir, 'specs'),
  });
  process.stdout.write(`${formatImportScore(score)}\n`);
}
