// Only server/db talks SQL: services, routes, tools and fixtures call repository functions. This
// test parses every non-test .ts file of server/ (server/db/ excepted), tools/, agents/, app/,
// evals/ and bin/ and fails, naming file:line, on
//  - a call of `.query(`, `.query<…>(` or `.exec(` on a database handle (a receiver named like
//    one: sql, db, tx, client, pool…; `SOME_REGEX.exec(text)` is not one), and
//  - a string or template literal that starts as a SQL statement (SELECT, INSERT, UPDATE, DELETE,
//    WITH, any case). Only the keyword is not enough, as product copy starts with "Update a
//    customer" or "Delete a trigger": the statement's next words must read as SQL (`INSERT INTO`,
//    `UPDATE t SET`, `DELETE FROM`, `WITH x AS (`, `SELECT` then `*`, a number, a parameter, a
//    call, a list or `FROM`).
// It works on the syntax tree, so comments are never flagged; it can be fooled on purpose (a
// handle renamed `foo`, SQL assembled from pieces that each read as words).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../../test/source-files.ts';

const ROOTS = ['server', 'tools', 'agents', 'app', 'evals', 'bin'];
const repoRoot = path.resolve(import.meta.dirname, '..', '..');

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly rule: 'sql-call' | 'sql-literal';
}

const HANDLE = /^(?:sql|db|tx|trx|client|pool|conn|connection|owner|pg|pglite|database)$/i;

const STATEMENT = new RegExp(
  String.raw`^\s*(?:` +
    [
      String.raw`select\s+(?:\*|\d|\$\d|distinct\b|[a-z_][\w.]*\s*(?:\(|,|\bas\b|\bfrom\b))`,
      String.raw`insert\s+into\s`,
      String.raw`update\s+[a-z_][\w.]*\s+(?:[a-z_]\w*\s+)?set\s`,
      String.raw`delete\s+from\s`,
      String.raw`with\s+(?:recursive\s+)?[a-z_]\w*\s*(?:\([^)]*\)\s*)?as\s*(?:(?:not\s+)?materialized\s*)?\(`,
    ].join('|') +
    ')',
  'i',
);

/** Whether a literal's text (substitutions read as a name) starts as a SQL statement. */
function looksLikeSql(text: string): boolean {
  return STATEMENT.test(text);
}

/** The name a call's receiver goes by: `sql` in `sql.query`, `db` in `deps.db.query`. */
function receiverName(expression: ts.Expression): string | null {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) return expression.name.text;
  return null;
}

function literalText(node: ts.Node): string | null {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((span) => `x${span.literal.text}`).join('');
  }
  return null;
}

function findSql({ source, file }: { source: string; file: string }): Finding[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const add = (node: ts.Node, rule: Finding['rule']) =>
    findings.push({
      file,
      line: tree.getLineAndCharacterOfPosition(node.getStart(tree)).line + 1,
      rule,
    });
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      (node.expression.name.text === 'query' || node.expression.name.text === 'exec') &&
      HANDLE.test(receiverName(node.expression.expression) ?? '')
    ) {
      add(node, 'sql-call');
    }
    const text = literalText(node);
    if (text !== null && looksLikeSql(text)) add(node, 'sql-literal');
    // A template's parts are not literals of their own.
    if (!ts.isTemplateExpression(node)) ts.forEachChild(node, visit);
    else for (const span of node.templateSpans) visit(span.expression);
  };
  visit(tree);
  return findings;
}

function scan(root: string): Finding[] {
  return sourceFiles({ root, dirs: ROOTS, exclude: ['server/db'] }).flatMap((file) =>
    findSql({ source: fs.readFileSync(path.join(root, file), 'utf8'), file }),
  );
}

describe('SQL stays in server/db', () => {
  it('finds no SQL in server/ (server/db/ excepted), tools/, agents/, app/, evals/ and bin/', () => {
    const report = scan(repoRoot).map(
      (f) => `${f.file}:${f.line} [${f.rule}] move this SQL into a repository in server/db/`,
    );
    expect(report).toEqual([]);
  });

  it('fails on a planted file', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-sql-boundary-'));
    try {
      fs.mkdirSync(path.join(root, 'server', 'modules', 'widgets'), { recursive: true });
      fs.mkdirSync(path.join(root, 'server', 'db', 'repositories'), { recursive: true });
      const planted = [
        "import type { Sql } from '../../db/database.ts';",
        '',
        '// SELECT id FROM widgets: a comment is not SQL',
        'export async function widgetIds(sql: Sql): Promise<string[]> {',
        "  const rows = await sql.query<{ id: string }>('SELECT id FROM widgets');",
        '  return rows.map((r) => r.id);',
        '}',
        '',
        'export const COUNT = `select count(*) from ${"widgets"}`;',
      ].join('\n');
      fs.writeFileSync(path.join(root, 'server', 'modules', 'widgets', 'widgets.ts'), planted);
      fs.writeFileSync(path.join(root, 'server', 'modules', 'widgets', 'widgets.test.ts'), planted);
      fs.writeFileSync(path.join(root, 'server', 'db', 'repositories', 'widgets.repo.ts'), planted);
      expect(scan(root)).toEqual([
        { file: 'server/modules/widgets/widgets.ts', line: 5, rule: 'sql-call' },
        { file: 'server/modules/widgets/widgets.ts', line: 5, rule: 'sql-literal' },
        { file: 'server/modules/widgets/widgets.ts', line: 9, rule: 'sql-literal' },
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it.each([
    ["await sql.query('SELECT 1')", 'sql-call'],
    ['await deps.db.query(text, [id])', 'sql-call'],
    ['const rows = await tx.query<Row>(text)', 'sql-call'],
    ['await owner.exec(migration)', 'sql-call'],
    ["const t = 'SELECT id, name FROM t WHERE id = $1'", 'sql-literal'],
    ["const t = 'select * from t'", 'sql-literal'],
    ["const t = 'SELECT pg_advisory_lock($1)'", 'sql-literal'],
    ['const t = `SELECT ${COLUMNS} FROM triggers`', 'sql-literal'],
    ['const t = `\n  INSERT INTO t (a) VALUES ($1)`', 'sql-literal'],
    ["const t = 'UPDATE t SET a = $2 WHERE id = $1'", 'sql-literal'],
    ["const t = 'update t x set a = 1'", 'sql-literal'],
    ["const t = 'DELETE FROM t WHERE id = $1'", 'sql-literal'],
    ['const t = `WITH v AS (SELECT 1) SELECT * FROM v`', 'sql-literal'],
    ["const t = 'with recursive r(n) as (select 1) select n from r'", 'sql-literal'],
  ])('flags %j', (source, rule) => {
    expect(findSql({ source, file: 'sample.ts' }).map((f) => f.rule)).toContain(rule);
  });

  it.each([
    "const title = 'Update a customer'",
    "const summary = 'Delete a connector with its actions, events and connections'",
    "const field = 'update time'",
    "const hint = 'Select the connection to use'",
    "const copy = 'With a schedule, the trigger fires on its own'",
    'const match = PATTERN.exec(text)',
    'const m = /^a+$/.exec(text)',
    "const q = request.query('x')",
    '// await sql.query(`SELECT 1`)',
  ])('does not flag %j', (source) => {
    expect(findSql({ source, file: 'sample.ts' })).toEqual([]);
  });
});
