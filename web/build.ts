// Bundles the web app (web/src) with esbuild into web/dist/<hash>, where <hash> is the content hash
// of the sources: the server calls buildWebApp() as it starts, and a folder already built for the
// same sources is reused, so an unchanged app costs one hash of a few files (milliseconds) and a
// changed one one esbuild run (well under a second). There is no separate build step for users.
// Several processes may start at once (tests): each builds into a private folder and renames it
// into place; the first rename wins and the others drop theirs. When web/ is read-only (the Docker
// image runs as an unprivileged user over root-owned sources), the build goes to the OS temp dir.
// Run directly (`node web/build.ts`) to build and print where and how long it took.
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));
const SRC_DIR = path.join(WEB_DIR, 'src');
const DEFAULT_OUT = path.join(WEB_DIR, 'dist');
/** Built folders of other source versions older than this are removed. */
const STALE_MS = 60 * 60 * 1000;

export interface WebBuild {
  /** The folder to serve: index.html and the hashed assets. */
  dir: string;
  hash: string;
  /** False when a folder built from the same sources was reused. */
  built: boolean;
  ms: number;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * WEFT_WEB_DEBUG=1 builds without minifying and with preact/debug, so a rendering error in the
 * browser names the component and the bad child instead of failing deep inside Preact's diff.
 */
function debugBuild(): boolean {
  return process.env['WEFT_WEB_DEBUG'] === '1';
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`esbuild ${esbuildVersion}${debugBuild() ? ' debug' : ''}\0`);
  hash.update(await readFile(fileURLToPath(import.meta.url)));
  for (const file of await listFiles(SRC_DIR)) {
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

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function removeStale(root: string, keep: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    // The connect widget's bundles (web/embed-build.ts) share this folder and clear their own.
    if (name === keep || name.startsWith('embed-')) continue;
    const full = path.join(root, name);
    const info = await stat(full).catch(() => null);
    if (info && Date.now() - info.mtimeMs > STALE_MS) {
      await rm(full, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/** Builds the web app if its sources changed since the last build; returns the folder to serve. */
export async function buildWebApp({
  outRoot = DEFAULT_OUT,
}: { outRoot?: string } = {}): Promise<WebBuild> {
  const started = performance.now();
  const hash = await sourceHash();
  const existing = [outRoot, path.join(tmpdir(), 'weft-web')].map((r) => path.join(r, hash));
  for (const dir of existing) {
    if (await exists(path.join(dir, 'index.html'))) {
      return { dir, hash, built: false, ms: performance.now() - started };
    }
  }
  const root = await writableRoot(outRoot);
  const dir = path.join(root, hash);
  const tmp = path.join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const result = await build({
      entryPoints: { app: path.join(SRC_DIR, 'main.tsx') },
      bundle: true,
      outdir: tmp,
      format: 'esm',
      target: 'es2022',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      minify: !debugBuild(),
      inject: debugBuild() ? [fileURLToPath(import.meta.resolve('preact/debug'))] : [],
      entryNames: '[name]-[hash]',
      // Code loaded on demand (the workflow code editor) goes to chunks of its own.
      splitting: true,
      chunkNames: 'chunk-[hash]',
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
    });
    const outputs = Object.entries(result.metafile.outputs);
    const entry = outputs.find(([, o]) => o.entryPoint?.endsWith('main.tsx'));
    const js = entry && path.basename(entry[0]);
    const css = entry?.[1].cssBundle && path.basename(entry[1].cssBundle);
    if (!js || !css) {
      throw new Error(`the web build produced ${outputs.map(([o]) => o).join(', ')}`);
    }
    const template = await readFile(path.join(SRC_DIR, 'index.html'), 'utf8');
    await writeFile(
      path.join(tmp, 'index.html'),
      template.replace('%APP_CSS%', `/${css}`).replace('%APP_JS%', `/${js}`),
    );
    try {
      await rename(tmp, dir);
    } catch (error) {
      // Another process renamed the same build into place first: theirs is identical.
      if (!(await exists(path.join(dir, 'index.html')))) throw error;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await removeStale(root, hash);
  return { dir, hash, built: true, ms: performance.now() - started };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const done = await buildWebApp();
  process.stdout.write(
    `${done.built ? 'built' : 'up to date'}: ${done.dir} (${Math.round(done.ms)} ms)\n`,
  );
}
