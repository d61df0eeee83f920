/**
 * Validation of action input against the action's JSON Schema.
 *
 * Schemas come from imported third-party specs, so they are untrusted: the validator interprets
 * them (no code generation), bounds its work, never fetches anything, and never writes to the
 * schema or the value it checks. `compileSchema` turns a schema into a graph of small checks once
 * (cached by content), and `validate` walks that graph over a value.
 *
 * This file is the public entry and the cache. The rest is in json-schema/: types.ts (the
 * contract and SCHEMA_LIMITS), graph.ts (nodes and the walk), compile.ts (refs and the build),
 * keywords.ts and applicators.ts (one compiler per keyword group), formats.ts, patterns.ts and
 * values.ts (JSON helpers). Imports run one way, so there is no cycle: compile.ts → keywords.ts
 * and applicators.ts → formats.ts, patterns.ts, values.ts → graph.ts → types.ts.
 *
 * Decisions:
 * - `$ref` resolves inside the schema only: JSON pointers (`#/components/schemas/X`), `$id`s and
 *   anchors in the same document. A spec's components are resolved by compiling the operation's
 *   schema with them alongside, `{ ...schema, components }`, so `#/components/...` refs resolve
 *   unchanged against that root. A `$ref` to another document (a URL or a file) is never fetched
 *   and accepts anything, like `{}`: the upstream API stays the authority on those parts. A `$ref`
 *   into the document that points at nothing fails compilation: the document is broken.
 * - Formats: the ones in FORMATS are checked (each on the JSON types it describes); any other
 *   format name, vendor formats included, is an annotation and never an error. The standard
 *   string formats come from @cfworker/json-schema. Its validator itself is not used: it has no
 *   bound on work or depth (deep data or `$ref: '#'` overflow the stack), throws on unresolved
 *   refs and on patterns that are invalid in unicode mode, runs patterns on the backtracking
 *   RegExp engine, checks formats on strings only, and looks format names up on a plain object
 *   (`format: '__proto__'` throws).
 * - `pattern` and `patternProperties` run on a linear-time matcher (regex.ts), never on the
 *   backtracking RegExp engine, so a hostile pattern cannot stall the process. A pattern that
 *   is not valid ECMAScript, or uses what that matcher does not support (backreferences,
 *   lookaround, \p{…}), is not enforced.
 * - Limits (SCHEMA_LIMITS): compilation refuses subschemas nested deeper than 64 or more than
 *   100,000 of them, and `$ref` loops that never reach a property or item. Validation refuses a
 *   value nested deeper than 128 or holding more than 1,000,000 values, and stops after
 *   1,000,000 schema-on-value visits (pattern and format work is charged too), answering
 *   `{ keyword: 'limit' }` instead of hanging. At most 50 issues are listed, then "…and N more".
 * - A keyword whose value is malformed (`minimum: "5"`, `type: "file"`) is ignored rather than
 *   failing the whole action.
 * - `$dynamicRef` and `$recursiveRef` resolve statically, like `$ref`.
 * - Dialect `openapi-3.0`: `nullable: true` admits null (also beside a `$ref` or a composition,
 *   as Stripe writes it); siblings of `$ref` are otherwise ignored; `$id` is not a keyword; a
 *   property marked `readOnly` is not required in input. Everywhere: the boolean form of
 *   `exclusiveMinimum`/`exclusiveMaximum` (draft 4) is read as the number form; `discriminator`,
 *   `xml`, `externalDocs`, `example`, `readOnly`/`writeOnly` and `x-*` keys do not affect the result.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors.ts';
import { build, compileError } from './json-schema/compile.ts';
import { SCHEMA_LIMITS, type SchemaDialect, type SchemaValidator } from './json-schema/types.ts';
import { isObject, own } from './json-schema/values.ts';

export {
  SCHEMA_LIMITS,
  type SchemaDialect,
  type SchemaIssue,
  type SchemaValidator,
  type ValidationResult,
} from './json-schema/types.ts';

// ---------------------------------------------------------------------------------------------
// Public entry points

/** Compiled validators by content and dialect, least recently used first, with their sizes. */
const cache = new Map<string, { entry: SchemaValidator | AppError; chars: number }>();
let cachedChars = 0;

/**
 * Compiles a JSON Schema (or an OpenAPI 3.0 schema object) into a reusable validator. Validators
 * are cached by the schema's content and dialect. Throws `AppError('validation_failed')` when the
 * schema is not usable (too deep, too big, a `$ref` that resolves to nothing, a `$ref` loop).
 *
 * The dialect defaults to the one named by the root's `$schema`, else 2020-12.
 */
export function compileSchema(
  schema: unknown,
  opts: { dialect?: SchemaDialect } = {},
): SchemaValidator {
  const dialect = opts.dialect ?? dialectOf(schema) ?? '2020-12';
  let json: string | undefined;
  try {
    json = JSON.stringify(schema);
  } catch {
    // A cycle (TypeError) or nesting beyond the call stack (RangeError).
    throw compileError({ message: 'the schema is not JSON (a cycle, or nested far too deeply)' });
  }
  if (json === undefined) {
    throw compileError({ message: 'a schema must be an object or a boolean' });
  }
  const key = `${dialect}:${createHash('sha256').update(json).digest('base64')}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    if (hit.entry instanceof AppError) throw hit.entry;
    return hit.entry;
  }
  let entry: SchemaValidator | AppError;
  try {
    // Compile a parsed copy: detached from the caller's object and exactly what was hashed.
    entry = build({ root: JSON.parse(json) as unknown, dialect });
  } catch (error) {
    if (error instanceof RangeError) entry = compileError({ message: 'the schema is too complex' });
    else if (error instanceof AppError) entry = error;
    else throw error;
  }
  // Bounded by count and by the schemas' total size: a few whole-spec response schemas (a mock
  // checking what it generates) would otherwise hold gigabytes of compiled graph.
  cache.set(key, { entry, chars: json.length });
  cachedChars += json.length;
  for (const [oldest, { chars }] of cache) {
    if (cache.size <= 1) break;
    if (cache.size <= SCHEMA_LIMITS.cacheEntries && cachedChars <= SCHEMA_LIMITS.cacheChars) break;
    cache.delete(oldest);
    cachedChars -= chars;
  }
  if (entry instanceof AppError) throw entry;
  return entry;
}

/** Number of compiled schemas held in the cache (for tests and metrics). */
export function schemaCacheSize(): number {
  return cache.size;
}

function dialectOf(schema: unknown): SchemaDialect | undefined {
  const uri = isObject(schema) ? own(schema, '$schema') : undefined;
  if (typeof uri !== 'string') return undefined;
  if (uri.includes('2020-12')) return '2020-12';
  if (uri.includes('2019-09')) return '2019-09';
  if (uri.includes('draft-07') || uri.includes('draft-06')) return '7';
  if (uri.includes('draft-04')) return '4';
  return undefined;
}
