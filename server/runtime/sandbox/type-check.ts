/**
 * Type-checks a workflow against the ctx declarations at publish, so that a wrong ctx call
 * (`ctx.cdm.toCanonical('shop', 'Order', rec)`) is refused with its line and column instead of
 * failing in a run. The default export's first parameter is given the type `WorkflowContext`
 * when it has none (written untyped, it would be `any` and nothing would be checked).
 *
 * Only errors about how things are used (missing properties, wrong arguments, wrong types)
 * are reported, with strict checks off: the aim is to catch ctx misuse, not to impose a style
 * on the rest of the code. TypeScript is loaded on first use (a few hundred ms, once per
 * process) and is a devDependency: where it is not installed, the check is skipped.
 */
import type TypeScript from 'typescript';
import { AppError } from '../../errors.ts';
import { CTX_DECLARATIONS } from './ctx-declarations.ts';

type Ts = typeof TypeScript;

// Property missing, argument/assignment type, argument count, not callable, no overload,
// unknown object literal key, did-you-mean variants.
const REPORTED = new Set([
  2339, 2345, 2554, 2555, 2551, 2322, 2349, 2353, 2561, 2769, 2559, 2552, 2304,
]);

let loading: Promise<Ts | null> | undefined;
function loadTs(): Promise<Ts | null> {
  loading ??= import('typescript').then(
    (m) => (m as { default?: Ts }).default ?? (m as unknown as Ts),
    () => null,
  );
  return loading;
}

export interface TypeProblem {
  message: string;
  line: number;
  column: number;
}

const DECLARATIONS_FILE = '/weft/ctx.d.ts';
const LIB_CACHE = new Map<string, TypeScript.SourceFile>();

/** The source with `: WorkflowContext` after the default export's first parameter, if untyped. */
function annotate(
  ts: Ts,
  source: string,
  fileName: string,
): { text: string; at: number; added: number; names: Set<string> } {
  const file = ts.createSourceFile(
    fileName,
    source,
    ts.ScriptTarget.ES2022,
    true,
    ts.ScriptKind.TS,
  );
  let fn: TypeScript.SignatureDeclaration | undefined;
  const functionOf = (node: TypeScript.Node | undefined) =>
    node !== undefined &&
    (ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node))
      ? node
      : undefined;
  const declared = new Map<string, TypeScript.Node>();
  for (const statement of file.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name)
      declared.set(statement.name.text, statement);
    if (ts.isVariableStatement(statement))
      for (const d of statement.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.initializer) declared.set(d.name.text, d.initializer);
  }
  for (const statement of file.statements) {
    if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      const e = statement.expression;
      fn = functionOf(e) ?? (ts.isIdentifier(e) ? functionOf(declared.get(e.text)) : undefined);
    } else if (
      ts.isFunctionDeclaration(statement) &&
      statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)
    )
      fn = statement;
  }
  const param = fn?.parameters[0];
  const names = new Set<string>();
  if (param !== undefined) {
    if (ts.isIdentifier(param.name)) names.add(param.name.text);
    else
      for (const element of param.name.elements)
        if (!ts.isOmittedExpression(element) && ts.isIdentifier(element.name))
          names.add(element.name.text);
  }
  if (param === undefined || param.type !== undefined)
    return { text: source, at: -1, added: 0, names };
  const insert = ': WorkflowContext';
  // Arrow functions with a bare parameter (`ctx => …`) need parentheses to take a type.
  const bare =
    fn !== undefined &&
    ts.isArrowFunction(fn) &&
    source[param.getStart(file) - 1] !== '(' &&
    !source.slice(fn.getStart(file), param.getStart(file)).includes('(');
  const end = param.name.getEnd();
  if (bare) {
    const start = param.getStart(file);
    const text = `${source.slice(0, start)}(${source.slice(start, end)}${insert})${source.slice(end)}`;
    return { text, at: start, added: insert.length + 2, names };
  }
  return {
    text: `${source.slice(0, end)}${insert}${source.slice(end)}`,
    at: end,
    added: insert.length,
    names,
  };
}

/** The identifier a chain like `ctx.cdm.toCanonical(...)` starts from. */
function rootName(ts: Ts, node: TypeScript.Expression): string | undefined {
  let current = node;
  for (let i = 0; i < 20; i++) {
    if (ts.isIdentifier(current)) return current.text;
    if (
      ts.isPropertyAccessExpression(current) ||
      ts.isElementAccessExpression(current) ||
      ts.isCallExpression(current)
    )
      current = current.expression;
    else if (ts.isAwaitExpression(current) || ts.isParenthesizedExpression(current))
      current = current.expression;
    else return undefined;
  }
  return undefined;
}

/** Whether the error sits in a use of ctx: a call or property chain rooted at its name. */
function touchesCtx(
  ts: Ts,
  file: TypeScript.SourceFile,
  position: number,
  names: ReadonlySet<string>,
): boolean {
  const find = (node: TypeScript.Node): TypeScript.Node | undefined =>
    position >= node.getStart(file) && position < node.getEnd()
      ? (ts.forEachChild(node, find) ?? node)
      : undefined;
  let node: TypeScript.Node | undefined = find(file);
  for (let i = 0; node !== undefined && i < 8; i++, node = node.parent) {
    if (ts.isCallExpression(node) || ts.isPropertyAccessExpression(node)) {
      const root = rootName(ts, node.expression);
      if (root !== undefined && names.has(root)) return true;
    }
    if (ts.isStatement(node)) break;
  }
  return false;
}

/** Problems in how the workflow uses ctx (and types generally); [] when clean or unchecked. */
export async function typeCheckWorkflow({
  source,
  filename,
}: {
  source: string;
  filename: string;
}): Promise<TypeProblem[] | null> {
  const ts = await loadTs();
  if (ts === null) return null;
  const fileName = `/weft/${filename.replace(/\.[cm]?[jt]sx?$/, '')}.ts`;
  const { text, at, added, names } = annotate(ts, source, fileName);
  const options: TypeScript.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    strict: false,
    noImplicitAny: false,
    noLib: false,
    lib: ['lib.es2022.d.ts'],
    types: [],
    noEmit: true,
    skipLibCheck: true,
  };
  const files = new Map([
    [fileName, text],
    [DECLARATIONS_FILE, CTX_DECLARATIONS],
  ]);
  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  host.fileExists = (name) => files.has(name) || ts.sys.fileExists(name);
  host.getSourceFile = (name, version) => {
    const own = files.get(name);
    if (own !== undefined) return ts.createSourceFile(name, own, version, true, ts.ScriptKind.TS);
    // The standard library is parsed once per process, not once per publish.
    let lib = LIB_CACHE.get(name);
    if (lib === undefined) {
      lib = getSourceFile(name, version);
      if (lib !== undefined) LIB_CACHE.set(name, lib);
    }
    return lib;
  };
  host.writeFile = () => undefined;
  const program = ts.createProgram({ rootNames: [fileName, DECLARATIONS_FILE], options, host });
  const file = program.getSourceFile(fileName);
  if (file === undefined) return [];
  // Syntax errors are esbuild's to report (it runs first); here only misuse of ctx.
  const annotatedLine = at >= 0 ? file.getLineAndCharacterOfPosition(at).line : -1;
  return program
    .getSemanticDiagnostics(file)
    .filter(
      (d) =>
        d.start !== undefined &&
        d.category === ts.DiagnosticCategory.Error &&
        REPORTED.has(d.code) &&
        touchesCtx(ts, file, d.start, names),
    )
    .slice(0, 20)
    .map((d) => {
      const { line, character } = file.getLineAndCharacterOfPosition(d.start ?? 0);
      // Columns after the inserted annotation are shifted back to the author's text.
      const column = line === annotatedLine && (d.start ?? 0) > at ? character - added : character;
      return {
        message: ts
          .flattenDiagnosticMessageText(d.messageText, '\n')
          .split('\n')
          .slice(0, 3)
          .join(' '),
        line: line + 1,
        column: column + 1,
      };
    });
}

/** Throws the 422 a publish answers with when the workflow misuses ctx. */
export async function assertWorkflowTypes({
  source,
  filename,
}: {
  source: string;
  filename: string;
}): Promise<void> {
  const problems = await typeCheckWorkflow({ source, filename });
  if (problems === null || problems.length === 0) return;
  throw new AppError(
    'validation_failed',
    `workflow ${filename} does not type-check against ctx (weft://docs/workflow-ctx): ${problems
      .slice(0, 5)
      .map((p) => `line ${p.line}:${p.column}: ${p.message}`)
      .join('; ')}`,
    { errors: problems },
  );
}
