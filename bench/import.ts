/**
 * `node bench/import.ts [--runs N] [--specs DIR] [filter]`: for every spec in the eval set, the
 * time and peak RSS of our import (importSpec: read, parse, bundle, extract, validate) against
 * SwaggerParser.validate alone on the same file. Each measurement runs in a fresh child process,
 * so that peak RSS (process.resourceUsage().maxRSS) belongs to one job; both libraries are
 * loaded before the clock starts (a server loads them once), and RSS includes them. Time is the
 * best of N runs, RSS the largest. The table goes to stdout and the rows to
 * bench/results/import.json.
 *
 * Goals: the largest spec (stripe.yaml) under 5 s and 1 GB; no spec slower than 3x validate.
 * Where validate rejects a spec it stops at the first error, so the ratio there compares a full
 * import with a partial check.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from './table.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_SPECS = path.resolve(HERE, '../evals/data/specs');
const RESULTS = path.join(HERE, 'results', 'import.json');

type Mode = 'import' | 'validate';

interface Measurement {
  ok: boolean;
  ms: number;
  maxRssMb: number;
  error?: string;
}

async function child({ mode, file }: { mode: Mode; file: string }): Promise<void> {
  const { importSpec } = await import('../server/import/index.ts');
  const { default: SwaggerParser } = await import('@apidevtools/swagger-parser');
  const start = performance.now();
  let error: string | undefined;
  try {
    if (mode === 'import') {
      await importSpec({
        source: { kind: 'path', path: file },
        fetchText: () => Promise.reject(new Error('the benchmark fetches nothing')),
        selection: { mode: 'all' },
      });
    } else {
      await SwaggerParser.validate(file, { resolve: { http: false } });
    }
  } catch (e) {
    error = e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
  const result: Measurement = {
    ok: error === undefined,
    ms: performance.now() - start,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    ...(error !== undefined && { error: error.slice(0, 200) }),
  };
  process.stdout.write(JSON.stringify(result));
}

function measure({ mode, file }: { mode: Mode; file: string }): Promise<Measurement> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', mode, file],
      { maxBuffer: 1024 * 1024, timeout: 300_000 },
      (error, stdout) => {
        try {
          resolve(JSON.parse(stdout) as Measurement);
        } catch {
          resolve({
            ok: false,
            ms: Number.NaN,
            maxRssMb: Number.NaN,
            error: error?.message ?? 'no output',
          });
        }
      },
    );
  });
}

async function best({
  mode,
  file,
  runs,
}: {
  mode: Mode;
  file: string;
  runs: number;
}): Promise<Measurement> {
  let out: Measurement | undefined;
  for (let i = 0; i < runs; i++) {
    const m = await measure({ mode, file });
    out =
      out === undefined
        ? m
        : { ...out, ms: Math.min(out.ms, m.ms), maxRssMb: Math.max(out.maxRssMb, m.maxRssMb) };
  }
  return out as Measurement;
}

function table(rows: string[][]): string {
  return formatTable({ head: rows[0] ?? [], rows: rows.slice(1) });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await child({ mode: args[1] as Mode, file: args[2] ?? '' });
    return;
  }
  let runs = 1;
  let dir = DEFAULT_SPECS;
  let filter = '';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs') runs = Math.max(1, Number(args[++i] ?? 1));
    else if (args[i] === '--specs') dir = args[++i] ?? dir;
    else filter = args[i] ?? '';
  }
  const files = (await readdir(dir))
    .filter((f) => /\.(json|ya?ml)$/.test(f) && f.includes(filter))
    .sort();
  const head = ['spec', 'KB', 'import ms', 'import MB', 'validate ms', 'validate MB', 'x validate'];
  const rows: string[][] = [[...head, 'note']];
  const results: unknown[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    const size = (await stat(full)).size;
    process.stderr.write(`[bench] ${file}\n`);
    const ours = await best({ mode: 'import', file: full, runs });
    const theirs = await best({ mode: 'validate', file: full, runs });
    const ratio = ours.ms / theirs.ms;
    const note = [
      ours.ok ? '' : `import failed: ${ours.error ?? ''}`,
      theirs.ok ? '' : 'validate rejects the spec',
    ]
      .filter((n) => n !== '')
      .join('; ');
    rows.push([
      file,
      (size / 1024).toFixed(0),
      ours.ms.toFixed(0),
      ours.maxRssMb.toFixed(0),
      theirs.ms.toFixed(0),
      theirs.maxRssMb.toFixed(0),
      ratio.toFixed(2),
      note.slice(0, 60),
    ]);
    results.push({ file, sizeBytes: size, import: ours, validate: theirs, ratio });
  }
  process.stdout.write(
    `\nSpec import vs SwaggerParser.validate, node ${process.version}, best of ${runs}, fresh process each\n\n${table(rows)}\n`,
  );
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}

await main();
