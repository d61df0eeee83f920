import { build, type Message, type Plugin } from 'esbuild';
import ivm from 'isolated-vm';
import { AppError } from '../../errors.ts';

/** Name of the global the compiled IIFE assigns its exports to; the runner reads `.default`. */
export const WORKFLOW_GLOBAL = '__weftWorkflow';

export type CompiledWorkflow = { code: string; sourceMap?: string };

// Workflow code reaches the outside world only through `ctx`; any module specifier is refused
// at publish time so that the author sees the line instead of a runtime failure.
const refuseImports: Plugin = {
  name: 'weft-refuse-imports',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /.*/ }, (args) => ({
      errors: [
        {
          text: `imports are not allowed in workflow code ('${args.path}'); use ctx (ctx.connectors, ctx.http.fetch, ctx.log) instead`,
        },
      ],
    }));
  },
};

function describe(message: Message): string {
  const where = message.location
    ? `line ${message.location.line}:${message.location.column + 1}: `
    : '';
  return `${where}${message.text}`;
}

function isBuildFailure(error: unknown): error is { errors: Message[] } {
  return (
    typeof error === 'object' &&
    error !== null &&
    Array.isArray((error as { errors?: unknown }).errors)
  );
}

/**
 * Compiles TS or JS workflow source into a script for an isolate. The script assigns the module's
 * exports to `globalThis.__weftWorkflow`; its default export must be an async function.
 * Throws AppError('validation_failed') with the compiler's message and line.
 */
export async function compileWorkflow({
  source,
  filename,
}: {
  source: string;
  filename: string;
}): Promise<CompiledWorkflow> {
  const loader = /\.[cm]?tsx?$/.test(filename) ? 'ts' : 'js';
  let code: string;
  let sourceMap: string | undefined;
  try {
    const result = await build({
      stdin: { contents: source, loader, sourcefile: filename },
      bundle: true,
      write: false,
      format: 'iife',
      globalName: WORKFLOW_GLOBAL,
      platform: 'neutral',
      target: 'es2022',
      sourcemap: 'external',
      outfile: 'workflow.js',
      logLevel: 'silent',
      // Keep unused imports so that they are refused too, as TS would otherwise drop them.
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
      plugins: [refuseImports],
    });
    const js = result.outputFiles.find((file) => file.path.endsWith('.js'));
    const map = result.outputFiles.find((file) => file.path.endsWith('.map'));
    if (!js) throw new AppError('internal', 'compiler produced no output');
    code = js.text;
    sourceMap = map?.text;
  } catch (error) {
    if (!isBuildFailure(error)) throw error;
    const lines = error.errors.map(describe);
    throw new AppError(
      'validation_failed',
      `workflow ${filename} does not compile: ${lines.join('; ')}`,
      {
        errors: error.errors.map((message) => ({
          message: message.text,
          line: message.location?.line,
          column: message.location ? message.location.column + 1 : undefined,
        })),
      },
    );
  }
  // A computed `require(x)` or `import(x)` is left alone by the bundler (it fails in the isolate
  // anyway); refusing it here shows the author the line at publish time.
  const dynamicLine = findDynamicLoadLine(source);
  if (dynamicLine !== undefined) {
    throw new AppError(
      'validation_failed',
      `workflow ${filename} does not compile: line ${dynamicLine}: require() and import() are not available in workflow code; use ctx instead`,
      { errors: [{ message: 'require() and import() are not available', line: dynamicLine }] },
    );
  }
  await checkDefaultExport({ code, filename });
  return sourceMap === undefined ? { code } : { code, sourceMap };
}

// A line scan, not a parse: comment lines are skipped, a call spelled out in a string is refused.
function findDynamicLoadLine(source: string): number | undefined {
  const index = source
    .split('\n')
    .findIndex(
      (line) => !/^\s*(\/\/|\/?\*)/.test(line) && /(^|[^.\w$])(require|import)\s*\(/.test(line),
    );
  return index === -1 ? undefined : index + 1;
}

// Evaluating the top level in a small throwaway isolate is the one reliable way to know what the
// default export is (it may be a const, a re-export, an arrow function).
async function checkDefaultExport({
  code,
  filename,
}: {
  code: string;
  filename: string;
}): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  let kind: string;
  try {
    const context = await isolate.createContext();
    const script = await isolate.compileScript(code, { filename });
    await script.run(context, { timeout: 100 });
    kind = (await context.eval(
      `(() => { const m = globalThis.${WORKFLOW_GLOBAL}; const f = m && m.default;
        return typeof f !== 'function' ? typeof f : Object.prototype.toString.call(f); })()`,
      { timeout: 100, copy: true },
    )) as string;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AppError('validation_failed', `workflow ${filename} fails while loading: ${message}`);
  } finally {
    if (!isolate.isDisposed) isolate.dispose();
  }
  if (kind !== '[object AsyncFunction]') {
    throw new AppError(
      'validation_failed',
      `workflow ${filename} must have 'export default async function (ctx) { ... }' (default export is ${kind === 'undefined' ? 'missing' : kind})`,
    );
  }
}
