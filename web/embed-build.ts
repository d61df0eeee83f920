// Bundles the connect widget (web/embed) with esbuild, the way web/build.ts bundles the web app:
// into web/dist/embed-<hash> (the content hash of the sources), reused while they are unchanged,
// built into a private folder and renamed into place so that several processes may start at
// once, and into the OS temp dir when web/ is read-only. Three bundles, kept apart from the
// dashboard's so that a customer-facing page loads only what it needs:
// - widget.js/.css: the hosted page at /embed (Preact);
// - embed.js: the script a host page includes (`Weft.open`, `Weft.client`), one IIFE;
// - done.js: the page the OAuth popup ends on.
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));
const SRC_DIR = path.join(WEB_DIR, 'embed');
const DEFAULT_OUT = path.join(WEB_DIR, 'dist');

export interface EmbedBuild {
  dir: string;
  /** File names (inside `dir`) of each bundle. */
  files: { widgetJs: string; widgetCss: string; doneJs: string; embedJs: string };
  built: boolean;
  ms: number;
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`esbuild ${esbuildVersion}\0`);
  hash.update(await readFile(fileURLToPath(import.meta.url)));
  const entries = await readdir(SRC_DIR, { withFileTypes: true, recursive: true });
  for (const file of entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort()) {
    hash.update(path.relative(SRC_DIR, file));
    hash.update('\0');
    hash.update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

async function writableRoot(outRoot: string): Promise<string> {
  try {
    await mkdir(outRoot, { recursive: true });
    await access(outRoot, 2 /* W_OK */);
    return outRoot;
  } catch {
    const fallback = path.join(tmpdir(), 'weft-web');
    await mkdir(fallback, { recursive: true });
    return fallback;
  }
}

/** Widget builds of other source versions, older than an hour, are removed. */
async function removeStale(root: string, keep: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (name === keep || !name.startsWith('embed-')) continue;
    const full = path.join(root, name);
    const info = await stat(full).catch(() => null);
    if (info && Date.now() - info.mtimeMs > 60 * 60 * 1000) {
      await rm(full, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

async function filesIn(dir: string): Promise<EmbedBuild['files'] | null> {
  const names = await readdir(dir).catch(() => null);
  if (!names) return null;
  const find = (re: RegExp) => names.find((n) => re.test(n));
  const widgetJs = find(/^widget-[\w-]+\.js$/);
  const widgetCss = find(/^widget-[\w-]+\.css$/);
  const doneJs = find(/^done-[\w-]+\.js$/);
  const embedJs = find(/^embed\.js$/);
  return widgetJs && widgetCss && doneJs && embedJs
    ? { widgetJs, widgetCss, doneJs, embedJs }
    : null;
}

/** Builds the widget bundles if their sources changed; returns the folder and file names. */
export async function buildEmbed({
  outRoot = DEFAULT_OUT,
}: { outRoot?: string } = {}): Promise<EmbedBuild> {
  const started = performance.now();
  const hash = `embed-${await sourceHash()}`;
  for (const root of [outRoot, path.join(tmpdir(), 'weft-web')]) {
    const dir = path.join(root, hash);
    const files = await filesIn(dir);
    if (files) return { dir, files, built: false, ms: performance.now() - started };
  }
  const root = await writableRoot(outRoot);
  const dir = path.join(root, hash);
  const tmp = path.join(root, `.tmp-embed-${process.pid}-${randomBytes(4).toString('hex')}`);
  const common = {
    bundle: true,
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
    legalComments: 'none',
  } as const;
  try {
    await build({
      ...common,
      entryPoints: {
        widget: path.join(SRC_DIR, 'widget.tsx'),
        done: path.join(SRC_DIR, 'done.ts'),
      },
      outdir: tmp,
      format: 'esm',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      entryNames: '[name]-[hash]',
    });
    // A classic script (no module): host pages include it with a plain <script src>.
    await build({
      ...common,
      entryPoints: { embed: path.join(SRC_DIR, 'host.ts') },
      outdir: tmp,
      format: 'iife',
      entryNames: '[name]',
    });
    try {
      await rename(tmp, dir);
    } catch (error) {
      if (!(await filesIn(dir))) throw error;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const files = await filesIn(dir);
  if (!files) throw new Error(`the widget build in ${dir} is incomplete`);
  await removeStale(root, hash);
  return { dir, files, built: true, ms: performance.now() - started };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const done = await buildEmbed();
  process.stdout.write(
    `${done.built ? 'built' : 'up to date'}: ${done.dir} (${Math.round(done.ms)} ms)\n`,
  );
}
