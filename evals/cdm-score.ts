import fs from 'node:fs/promises';
import path from 'node:path';
import { suggestMapping } from '../server/cdm/suggest.ts';
import { schemaNamed } from '../server/cdm/suggest-spec.ts';
import { loadSpec } from '../server/import/load.ts';
import { createResolver, isObject } from '../server/import/schema.ts';
import { CDM_ENTITIES, type CdmEntity } from '../server/domain/cdm.ts';
import type { FetchText } from '../server/import/types.ts';

/**
 * Scores CDM field mapping suggestions against the gold labels. Each gold entity's own schema
 * is mapped, so this measures field mapping alone, apart from entity detection. Triples are
 * (entity, CDM field, source path): precision over the suggested ones, recall over the gold.
 */

export interface Counts {
  truePositives: number;
  proposed: number;
  gold: number;
  precision: number;
  recall: number;
}

export interface SpecScore extends Counts {
  gold_file: string;
  spec: string;
  /** Suggested triples not in the gold, as `Entity.field=path`. */
  wrong: string[];
  /** Gold triples not suggested. */
  missed: string[];
  /** Why a spec could not be scored (unreadable, schema missing). */
  error?: string;
}

export interface CdmScore {
  overall: Counts;
  specs: SpecScore[];
}

/** Which gold files to score. Every label present is dev data until a holdout set is split off. */
export type Split = 'dev' | 'all';

const noFetch: FetchText = (url) => Promise.reject(new Error(`no network while scoring (${url})`));

function counts({
  truePositives,
  proposed,
  gold,
}: {
  truePositives: number;
  proposed: number;
  gold: number;
}): Counts {
  // An empty side is vacuously perfect: nothing wrong was proposed, nothing was left to find.
  return {
    truePositives,
    proposed,
    gold,
    precision: proposed === 0 ? 1 : truePositives / proposed,
    recall: gold === 0 ? 1 : truePositives / gold,
  };
}

function isCdmEntity(name: string): name is CdmEntity {
  return (CDM_ENTITIES as readonly string[]).includes(name);
}

async function scoreGoldFile({
  file,
  specsDir,
}: {
  file: string;
  specsDir: string;
}): Promise<SpecScore | undefined> {
  const gold: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
  if (!isObject(gold) || !isObject(gold['entities'])) return undefined;
  const entries = Object.entries(gold['entities']).filter(([, v]) => isObject(v));
  if (entries.length === 0) return undefined;
  const spec = typeof gold['spec'] === 'string' ? gold['spec'] : '';
  const expected = new Set<string>();
  for (const [entity, value] of entries) {
    const fields = isObject(value) ? value['fields'] : undefined;
    if (isObject(fields))
      for (const [field, source] of Object.entries(fields))
        if (typeof source === 'string') expected.add(`${entity}.${field}=${source}`);
  }
  const proposed = new Set<string>();
  let error: string | undefined;
  try {
    const loaded = await loadSpec({
      source: { kind: 'path', path: path.join(specsDir, spec) },
      fetchText: noFetch,
    });
    const resolver = createResolver(loaded.document);
    const resolve = (ref: string): unknown => resolver.target(ref);
    for (const [entity, value] of entries) {
      const schemaName = isObject(value) ? value['schema'] : undefined;
      if (!isCdmEntity(entity) || typeof schemaName !== 'string') continue;
      const schema = schemaNamed({ document: loaded.document, name: schemaName });
      if (schema === undefined) {
        error = `schema ${schemaName} not found`;
        continue;
      }
      for (const f of suggestMapping({ entity, schema, resolve }).fields)
        proposed.add(`${entity}.${f.cdmField}=${f.sourcePath}`);
    }
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
  }
  const hits = [...proposed].filter((t) => expected.has(t));
  return {
    gold_file: path.basename(file),
    spec,
    ...counts({ truePositives: hits.length, proposed: proposed.size, gold: expected.size }),
    wrong: [...proposed].filter((t) => !expected.has(t)),
    missed: [...expected].filter((t) => !proposed.has(t)),
    ...(error !== undefined && { error }),
  };
}

/** Micro precision and recall over every gold file that labels entities. */
export async function scoreCdmSuggestions({
  goldDir,
  specsDir,
  split = 'dev',
}: {
  goldDir: string;
  specsDir: string;
  split?: Split;
}): Promise<CdmScore> {
  // Labels are not split yet, so the dev set is every gold file; `split` keeps call sites stable.
  void split;
  const files = (await fs.readdir(goldDir)).filter((f) => f.endsWith('.json')).sort();
  const specs: SpecScore[] = [];
  for (const file of files) {
    const score = await scoreGoldFile({ file: path.join(goldDir, file), specsDir });
    if (score !== undefined) specs.push(score);
  }
  const sum = (key: 'truePositives' | 'proposed' | 'gold'): number =>
    specs.reduce((total, s) => total + s[key], 0);
  return {
    overall: counts({
      truePositives: sum('truePositives'),
      proposed: sum('proposed'),
      gold: sum('gold'),
    }),
    specs,
  };
}

/** A plain-text table: one row per spec, worst F1 first, then the overall row. */
export function formatCdmScore(score: CdmScore): string {
  const pct = (n: number): string => `${(n * 100).toFixed(1)}%`.padStart(7);
  const f1 = (c: Counts): number =>
    c.precision + c.recall === 0 ? 0 : (2 * c.precision * c.recall) / (c.precision + c.recall);
  const rows = [...score.specs].sort((a, b) => f1(a) - f1(b));
  const width = Math.max(8, ...rows.map((r) => r.spec.length));
  const line = (name: string, c: Counts): string =>
    `${name.padEnd(width)} ${pct(c.precision)} ${pct(c.recall)} ${String(c.truePositives).padStart(4)} ${String(c.proposed).padStart(4)} ${String(c.gold).padStart(4)}`;
  return [
    `${'spec'.padEnd(width)} ${'prec'.padStart(7)} ${'recall'.padStart(7)} ${'tp'.padStart(4)} ${'prop'.padStart(4)} ${'gold'.padStart(4)}`,
    ...rows.map((r) => line(r.spec, r) + (r.error === undefined ? '' : `  (${r.error})`)),
    line('overall', score.overall),
  ].join('\n');
}

// `node evals/cdm-score.ts [evalsDir]` prints the table and the misses.
if (import.meta.main) {
  const dir = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, 'data'));
  const score = await scoreCdmSuggestions({
    goldDir: path.join(dir, 'gold'),
    specsDir: path.join(dir, 'specs'),
  });
  const out = [formatCdmScore(score)];
  if (process.argv.includes('--details'))
    for (const s of score.specs)
      if (s.wrong.length + s.missed.length > 0)
        out.push(`\n${s.spec}\n  wrong: ${s.wrong.join(', ')}\n  missed: ${s.missed.join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
