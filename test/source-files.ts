import fs from 'node:fs';
import path from 'node:path';

/**
 * The project's TypeScript files under `dirs` of `root`, as sorted posix paths relative to
 * `root`, for the tests that check rules over the source (SQL boundary, guarded HTTP, file size,
 * contracts). Test files are left out unless asked for; `node_modules` always is, and so is
 * anything under a folder in `exclude` (posix, relative to `root`).
 */
export function sourceFiles({
  root,
  dirs,
  includeTests = false,
  exclude = [],
}: {
  root: string;
  dirs: readonly string[];
  includeTests?: boolean;
  exclude?: readonly string[];
}): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    const absolute = path.join(root, dir);
    if (!fs.existsSync(absolute)) continue;
    for (const entry of fs.readdirSync(absolute, { recursive: true, encoding: 'utf8' })) {
      const file = path.posix.join(dir, entry.split(path.sep).join('/'));
      if (!file.endsWith('.ts') || (!includeTests && file.endsWith('.test.ts'))) continue;
      if (file.split('/').includes('node_modules')) continue;
      if (exclude.some((folder) => file.startsWith(`${folder}/`))) continue;
      files.push(file);
    }
  }
  return files.sort();
}
