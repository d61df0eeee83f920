// Contracts are written once, in server/domain/, and both sides import them from there: a tool
// that reached into a route file for a schema, or an HTTP layer that leaned on a feature module,
// is how the same shape came to be written twice. This test reads the source and fails on both.
//
// The scan is a regular expression over import specifiers (static, `export … from`, dynamic),
// not a parser; a commented-out import counts too.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../test/source-files.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Every module specifier a source file imports or re-exports from. */
export function importSpecifiers(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;
  return [...source.matchAll(pattern)].map((m) => m[1] ?? '');
}

/** The specifiers of a file under tools/ that name a route file. */
export function routeImports(source: string): string[] {
  return importSpecifiers(source).filter((s) => /\.routes(?:\.[cm]?[jt]s)?$/.test(s));
}

/** The specifiers of `file` (relative to the repository) that resolve into server/modules/. */
export function moduleImports(file: string, source: string): string[] {
  return importSpecifiers(source).filter((s) => {
    if (!s.startsWith('.')) return false;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), s));
    return target.startsWith('server/modules/');
  });
}

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('contracts live in server/domain', () => {
  it('no file under tools/ imports a route file', () => {
    // This file's own samples below are meant to be caught.
    const files = sourceFiles({ root: ROOT, dirs: ['tools'], includeTests: true }).filter(
      (f) => f !== 'tools/contracts.test.ts',
    );
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.flatMap((file) => routeImports(read(file)).map((s) => `${file}: ${s}`));
    expect(offenders).toEqual([]);
  });

  // Its tests drive the whole app and may call a service directly; the layer itself may not.
  it('no file under server/http/ imports from server/modules/ (tests excepted)', () => {
    const files = sourceFiles({ root: ROOT, dirs: ['server/http'], includeTests: true }).filter(
      (f) => !f.endsWith('.test.ts'),
    );
    expect(files).toContain('server/http/types.ts');
    const offenders = files.flatMap((file) =>
      moduleImports(file, read(file)).map((s) => `${file}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the scan catches the spellings it is meant to', () => {
    const tool = [
      "import { z } from 'zod';",
      "import { A } from '../../server/modules/cdm/cdm.routes.ts';",
      "export { B } from '../../server/modules/x/x.routes.ts';",
      "const c = await import('../../server/modules/y/y.routes.ts');",
      "import { ok } from '../../server/domain/cdm.ts';",
      "import { svc } from '../../server/modules/cdm/cdm.service.ts';",
    ].join('\n');
    expect(routeImports(tool)).toEqual([
      '../../server/modules/cdm/cdm.routes.ts',
      '../../server/modules/x/x.routes.ts',
      '../../server/modules/y/y.routes.ts',
    ]);

    const http = [
      "import type { Tenant } from '../domain/tenant.ts';",
      "import type { ConnectionRuntime } from '../modules/connections/runtime.ts';",
      "import { x } from './modules-like.ts';",
      "import 'fastify';",
    ].join('\n');
    expect(moduleImports('server/http/types.ts', http)).toEqual([
      '../modules/connections/runtime.ts',
    ]);
  });
});
