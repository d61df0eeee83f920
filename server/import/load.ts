import { realpath, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import $RefParser, {
  type FileInfo,
  type JSONSchema,
  type ParserOptions,
} from '@apidevtools/json-schema-ref-parser';
import jsYaml from 'js-yaml';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

/** A YAML anchor (`&name`), without which a document has no aliases. */
const YAML_ANCHOR = /(?:^|[\s:\-[,])&[A-Za-z0-9_.-]+(?=\s|$)/m;
import { AppError } from '../errors.ts';
import {
  addWarning,
  toPointer,
  type FetchText,
  type ImportWarning,
  type LoadedSpec,
  type SpecFormat,
  type SpecSource,
  UNRESOLVED_KEY,
} from './types.ts';

/**
 * Reading a spec: JSON or YAML from a file, a URL or text; format detection; and bundling of
 * external `$ref`s under a strict policy. Internal `$ref`s are left in place (extraction
 * resolves them lazily), so a circular schema costs nothing here.
 *
 * `$ref` policy: a file is read only when the spec itself was given as a file, and only from
 * inside that file's folder (after symlinks are resolved); http(s) goes through the caller's
 * `fetchText` (the SSRF guard) and nowhere else; every other target is refused. A refused or
 * unreadable target leaves the reference unresolved and becomes a warning.
 */

export const LOAD_LIMITS = {
  /** Largest spec read, in bytes (Stripe's, one of the largest public ones, is 4 MB). */
  maxSpecBytes: 64 * 1024 * 1024,
  /** Deepest nesting of objects and arrays accepted. */
  maxDepth: 200,
  /** YAML alias expansions (bounds "billion laughs" documents). */
  maxAliasCount: 1000,
  /** External documents read while bundling one spec. */
  maxExternalFiles: 200,
  /** Bytes read across all external documents of one spec. */
  maxExternalBytes: 64 * 1024 * 1024,
} as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** JSON pointer of the deepest YAML node that contains `offset`. */
function pointerAtOffset({ doc, offset }: { doc: Document; offset: number }): string {
  const segments: string[] = [];
  let node: unknown = doc.contents;
  for (let guard = 0; guard < LOAD_LIMITS.maxDepth; guard++) {
    if (isMap(node)) {
      const pair = node.items.find((item) => {
        const start = (isScalar(item.key) ? item.key.range?.[0] : undefined) ?? -1;
        const value = item.value as { range?: [number, number, number] } | null;
        const end = value?.range?.[2] ?? (isScalar(item.key) ? item.key.range?.[2] : -1) ?? -1;
        return start <= offset && offset <= end;
      });
      if (pair === undefined) break;
      segments.push(isScalar(pair.key) ? String(pair.key.value) : '?');
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => {
        const range = (item as { range?: [number, number, number] } | null)?.range;
        return range !== undefined && range[0] <= offset && offset <= range[2];
      });
      if (index < 0) break;
      segments.push(String(index));
      node = node.items[index];
    } else break;
  }
  return toPointer(segments);
}

/**
 * Parses JSON or YAML. YAML errors the parser could recover from become warnings (with the
 * pointer of the node they sit in); a text that yields no object is an AppError.
 */
export function parseSpecText({ text, label }: { text: string; label: string }): {
  value: Json;
  warnings: ImportWarning[];
} {
  const warnings: ImportWarning[] = [];
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new AppError('validation_failed', `${label} is empty`);
  if (body.length > LOAD_LIMITS.maxSpecBytes)
    throw new AppError(
      'validation_failed',
      `${label} is larger than ${LOAD_LIMITS.maxSpecBytes} bytes`,
    );

  let value: unknown;
  let jsonError: string | undefined;
  if (/^\s*[{[]/.test(body)) {
    try {
      value = JSON.parse(body);
    } catch (error) {
      jsonError = errorMessage(error);
    }
  }
  // Fast path: js-yaml reads large specs several times faster. It does not expand aliases
  // (they become shared references), so a document with anchors takes the bounded path below.
  if (value === undefined && !YAML_ANCHOR.test(body)) {
    try {
      const fast: unknown = jsYaml.load(body, { schema: jsYaml.CORE_SCHEMA, json: true });
      if (isObject(fast)) value = fast;
    } catch {
      // Not clean YAML: the tolerant parser below reports where, as warnings or an error.
    }
  }
  if (value === undefined) {
    let doc: Document;
    try {
      doc = parseDocument(body, { uniqueKeys: false, prettyErrors: true });
      value = doc.toJS({ maxAliasCount: LOAD_LIMITS.maxAliasCount });
    } catch (error) {
      if (error instanceof RangeError)
        throw new AppError('validation_failed', `${label} is nested too deeply to read`);
      if (error instanceof ReferenceError)
        throw new AppError(
          'validation_failed',
          `${label} expands too many YAML aliases (more than ${LOAD_LIMITS.maxAliasCount})`,
        );
      throw new AppError(
        'validation_failed',
        `${label} is not JSON or YAML: ${errorMessage(error)}`,
      );
    }
    const problems = [...doc.errors, ...doc.warnings];
    if (!isObject(value) || (jsonError !== undefined && doc.errors.length > 0)) {
      const first = jsonError ?? doc.errors[0]?.message.split('\n')[0];
      throw new AppError(
        'validation_failed',
        first === undefined
          ? `${label} is not a JSON or YAML object`
          : `${label} is not valid JSON or YAML: ${first}`,
      );
    }
    for (const problem of problems.slice(0, 100)) {
      addWarning(warnings, {
        path: pointerAtOffset({ doc, offset: problem.pos[0] }),
        reason: `YAML ${problem.name === 'YAMLWarning' ? 'warning' : 'error'} (read past it, check this part): ${(problem.message.split('\n')[0] ?? '').replace(/:$/, '')}`,
      });
    }
  }
  if (!isObject(value))
    throw new AppError('validation_failed', `${label} is not a JSON or YAML object`);
  return { value, warnings };
}

/**
 * Rejects documents nested deeper than the limit, cuts object cycles (a YAML alias to its own
 * ancestor) and reports whether any `$ref` points outside the document. Iterative, so depth
 * cannot overflow the stack.
 */
function inspectTree({
  root,
  label,
  warnings,
}: {
  root: Json;
  label: string;
  warnings: ImportWarning[];
}): {
  externalRefs: boolean;
} {
  let externalRefs = false;
  const onPath = new Set<object>();
  const done = new Set<object>();
  // Paths are rebuilt from parent links only when a warning needs one.
  type Frame = { node: object; depth: number; parent: Frame | null; key: string; exit: boolean };
  const segmentsOf = (frame: Frame | null): string[] => {
    const segments: string[] = [];
    for (let f = frame; f !== null && f.parent !== null; f = f.parent) segments.push(f.key);
    return segments.reverse();
  };
  const stack: Frame[] = [{ node: root, depth: 0, parent: null, key: '', exit: false }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.exit) {
      onPath.delete(frame.node);
      done.add(frame.node);
      continue;
    }
    if (done.has(frame.node) || onPath.has(frame.node)) continue;
    if (frame.depth > LOAD_LIMITS.maxDepth)
      throw new AppError(
        'validation_failed',
        `${label} is nested more than ${LOAD_LIMITS.maxDepth} levels deep (at ${toPointer(segmentsOf(frame).slice(0, 12))}/…)`,
      );
    onPath.add(frame.node);
    stack.push({ ...frame, exit: true });
    const record = frame.node as Record<string, unknown>;
    const ref = Array.isArray(record) ? undefined : record['$ref'];
    if (typeof ref === 'string' && !ref.startsWith('#')) externalRefs = true;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (typeof child !== 'object' || child === null) continue;
      if (onPath.has(child)) {
        record[key] = null;
        addWarning(warnings, {
          path: toPointer([...segmentsOf(frame), key]),
          reason: 'refers to itself (YAML alias of its own ancestor); replaced by null',
        });
        continue;
      }
      if (!done.has(child))
        stack.push({ node: child, depth: frame.depth + 1, parent: frame, key, exit: false });
    }
  }
  return { externalRefs };
}

// ---------------------------------------------------------------------------------------------
// Format

function detectFormat({ doc, warnings }: { doc: Json; warnings: ImportWarning[] }): SpecFormat {
  const openapi = doc['openapi'];
  if (typeof openapi === 'string' || typeof openapi === 'number') {
    const version = String(openapi);
    if (/^3\.0(\.|$)/.test(version)) return 'openapi-3.0';
    if (/^3\.1(\.|$)/.test(version)) return 'openapi-3.1';
    if (/^3(\.\d+)*$/.test(version)) {
      addWarning(warnings, { path: '/openapi', reason: `OpenAPI ${version} read as 3.1` });
      return version === '3' ? 'openapi-3.0' : 'openapi-3.1';
    }
    throw new AppError(
      'validation_failed',
      `OpenAPI version ${version.slice(0, 20)} is not supported; give an OpenAPI 3.x or Swagger 2.0 document`,
    );
  }
  const swagger = doc['swagger'];
  if (typeof swagger === 'string' || typeof swagger === 'number') {
    const version = String(swagger);
    if (version === '2.0' || version === '2') return 'swagger-2.0';
    throw new AppError(
      'validation_failed',
      `Swagger version ${version.slice(0, 20)} is not supported; convert it to Swagger 2.0 or OpenAPI 3`,
    );
  }
  const info = doc['info'];
  const schema = isObject(info) ? info['schema'] : undefined;
  if (typeof schema === 'string' && /collection\/v2\.[01]/.test(schema)) {
    if (schema.includes('collection/v2.0'))
      addWarning(warnings, {
        path: '/info/schema',
        reason: 'Postman v2.0 collection read as v2.1',
      });
    return 'postman-2.1';
  }
  if (typeof schema === 'string' && schema.includes('getpostman.com'))
    throw new AppError(
      'validation_failed',
      'only Postman collections v2.0 and v2.1 are supported; export the collection as v2.1',
    );
  if (isObject(doc['paths']))
    throw new AppError(
      'validation_failed',
      'the document has paths but no "openapi" or "swagger" version field; add one (e.g. openapi: 3.0.3)',
    );
  throw new AppError(
    'validation_failed',
    'not an OpenAPI 3.x, Swagger 2.0 or Postman v2.1 document (no "openapi", "swagger" or Postman "info.schema" field)',
  );
}

// ---------------------------------------------------------------------------------------------
// External references

type RefBase =
  { kind: 'file'; root: string; spec: string } | { kind: 'url'; url: string } | { kind: 'text' };

interface Failure {
  reason: string;
}

function isInside({ root, target }: { root: string; target: string }): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function localPathOf(url: string): string | null {
  try {
    if (/^file:/i.test(url)) return fileURLToPath(url);
    if (url.startsWith('/')) return decodeURIComponent(url);
  } catch {
    return null;
  }
  return null;
}

function stripHash(ref: string): string {
  const i = ref.indexOf('#');
  return i < 0 ? ref : ref.slice(0, i);
}

/**
 * Bundles the external documents the spec refers to into it (through json-schema-ref-parser,
 * with this module's resolvers in place of its own), then reports every reference still left
 * pointing outside, with its JSON pointer.
 */
async function bundleExternalRefs({
  document,
  base,
  fetchText,
  warnings,
}: {
  document: Json;
  base: RefBase;
  fetchText: FetchText;
  warnings: ImportWarning[];
}): Promise<void> {
  const failures = new Map<string, Failure>();
  const budget = { files: 0, bytes: 0 };

  const unresolved = ({ file, reason }: { file: FileInfo; reason: string }): Json => {
    const reference = file.reference ?? file.url;
    failures.set(file.url, { reason });
    failures.set(stripHash(reference), { reason });
    return { [UNRESOLVED_KEY]: reference.slice(0, 2000), description: reason };
  };

  const parseExternal = ({ file, text }: { file: FileInfo; text: string }): Json => {
    budget.bytes += text.length;
    if (budget.bytes > LOAD_LIMITS.maxExternalBytes)
      return unresolved({
        file,
        reason: `external documents exceed ${LOAD_LIMITS.maxExternalBytes} bytes in total; not read`,
      });
    try {
      const label = `the referenced document ${(file.reference ?? file.url).slice(0, 200)}`;
      const parsed = parseSpecText({ text, label });
      inspectTree({ root: parsed.value, label, warnings: [] });
      return parsed.value;
    } catch (error) {
      return unresolved({ file, reason: errorMessage(error) });
    }
  };

  const countFile = (file: FileInfo): Json | null => {
    budget.files += 1;
    return budget.files > LOAD_LIMITS.maxExternalFiles
      ? unresolved({
          file,
          reason: `more than ${LOAD_LIMITS.maxExternalFiles} external documents; not read`,
        })
      : null;
  };

  const readLocal = async (file: FileInfo): Promise<Json> => {
    if (base.kind !== 'file')
      return unresolved({
        file,
        reason:
          'refused: file references are only followed in a spec read from a file, and only inside its folder',
      });
    const local = localPathOf(file.url);
    if (local === null || local.includes('\0'))
      return unresolved({ file, reason: 'refused: not a usable file path' });
    const target = path.resolve(local);
    // Checked on the path as written first, so that a target outside is never even looked at.
    if (!isInside({ root: base.root, target }))
      return unresolved({ file, reason: "refused: the file is outside the spec's folder" });
    const over = countFile(file);
    if (over) return over;
    let real: string;
    try {
      real = await realpath(target);
    } catch {
      return unresolved({ file, reason: 'file not found' });
    }
    if (!isInside({ root: base.root, target: real }))
      return unresolved({
        file,
        reason: "refused: a symbolic link leads outside the spec's folder",
      });
    try {
      const info = await stat(real);
      if (!info.isFile()) return unresolved({ file, reason: 'not a file' });
      if (info.size > LOAD_LIMITS.maxSpecBytes)
        return unresolved({ file, reason: 'file too large' });
      return parseExternal({ file, text: await readFile(real, 'utf8') });
    } catch (error) {
      return unresolved({ file, reason: `could not read the file: ${errorMessage(error)}` });
    }
  };

  const readRemote = async (file: FileInfo): Promise<Json> => {
    const over = countFile(file);
    if (over) return over;
    let url: URL;
    try {
      url = new URL(file.url);
    } catch {
      return unresolved({ file, reason: 'not a valid URL' });
    }
    url.hash = '';
    try {
      return parseExternal({ file, text: await fetchText(url.toString()) });
    } catch (error) {
      return unresolved({ file, reason: `could not fetch: ${errorMessage(error)}` });
    }
  };

  const options: ParserOptions<JSONSchema> = {
    continueOnError: true,
    parse: {
      json: false,
      yaml: false,
      text: false,
      binary: false,
      // The resolvers below already return parsed (and checked) documents.
      weft: { order: 1, canParse: true, allowEmpty: true, parse: (file: FileInfo) => file.data },
    },
    resolve: {
      external: true,
      file: false,
      http: false,
      weftFile: {
        order: 1,
        canRead: (file: FileInfo) => localPathOf(file.url) !== null,
        read: readLocal,
      },
      weftHttp: { order: 2, canRead: /^https?:\/\//i, read: readRemote },
      weftRefused: {
        order: 3,
        canRead: true,
        read: (file: FileInfo) =>
          unresolved({
            file,
            reason: 'refused: only files next to the spec and http(s) URLs can be referenced',
          }),
      },
    },
  };

  const basePath =
    base.kind === 'file'
      ? base.spec
      : base.kind === 'url'
        ? base.url
        : '/weft-inline-spec/spec.yaml';
  try {
    await new $RefParser().bundle(basePath, document as JSONSchema, options);
  } catch (error) {
    // With continueOnError the parser still bundles what it could and then reports the rest
    // (missing pointers in documents it did read), which the walk below reports by location.
    if (!(error instanceof Error && error.name === 'JSONParserErrorGroup'))
      addWarning(warnings, {
        path: '',
        reason: `external references could not all be bundled: ${errorMessage(error)}`,
      });
  }
  reportUnresolved({ document, failures, warnings });
}

function reportUnresolved({
  document,
  failures,
  warnings,
}: {
  document: Json;
  failures: Map<string, Failure>;
  warnings: ImportWarning[];
}): void {
  type Frame = { node: unknown; parent: Frame | null; key: string };
  const pointerOf = (frame: Frame): string => {
    const segments: string[] = [];
    for (let f: Frame | null = frame; f !== null && f.parent !== null; f = f.parent)
      segments.push(f.key);
    return toPointer(segments.reverse());
  };
  const seen = new Set<object>();
  const stack: Frame[] = [{ node: document, parent: null, key: '' }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const node = frame.node;
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    const record = node as Record<string, unknown>;
    const marker = record[UNRESOLVED_KEY];
    if (typeof marker === 'string') {
      const reason = typeof record['description'] === 'string' ? record['description'] : 'not read';
      addWarning(warnings, { path: pointerOf(frame), reason: `$ref ${marker}: ${reason}` });
      continue;
    }
    const ref = record['$ref'];
    if (typeof ref === 'string' && !ref.startsWith('#') && !Array.isArray(node)) {
      const failure = failures.get(stripHash(ref));
      addWarning(warnings, {
        path: pointerOf(frame),
        reason: `$ref ${ref.slice(0, 500)}: ${failure?.reason ?? 'the target does not exist in the referenced document'}`,
      });
    }
    for (const key of Object.keys(record)) stack.push({ node: record[key], parent: frame, key });
  }
}

// ---------------------------------------------------------------------------------------------
// Entry point

async function readSource({
  source,
  fetchText,
}: {
  source: SpecSource;
  fetchText: FetchText;
}): Promise<{
  text: string;
  label: string;
  base: RefBase;
}> {
  switch (source.kind) {
    case 'text':
      return {
        text: source.text,
        label: source.name ? `the spec ${source.name}` : 'the spec',
        base: { kind: 'text' },
      };
    case 'url': {
      let url: URL;
      try {
        url = new URL(source.url);
      } catch {
        throw new AppError('validation_failed', `not a valid URL: ${source.url.slice(0, 200)}`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new AppError('validation_failed', 'a spec URL must be http(s)');
      const text = await fetchText(url.toString());
      return {
        text,
        label: `the spec at ${url.origin}${url.pathname}`,
        base: { kind: 'url', url: url.toString() },
      };
    }
    case 'path': {
      const label = `the spec ${path.basename(source.path)}`;
      let spec: string;
      try {
        spec = await realpath(path.resolve(source.path));
        const info = await stat(spec);
        if (!info.isFile()) throw new AppError('validation_failed', `${label} is not a file`);
        if (info.size > LOAD_LIMITS.maxSpecBytes)
          throw new AppError(
            'validation_failed',
            `${label} is larger than ${LOAD_LIMITS.maxSpecBytes} bytes`,
          );
      } catch (error) {
        if (error instanceof AppError) throw error;
        throw new AppError('validation_failed', `${label} cannot be read: ${errorMessage(error)}`);
      }
      const text = await readFile(spec, 'utf8');
      return { text, label, base: { kind: 'file', root: path.dirname(spec), spec } };
    }
  }
}

/**
 * Reads a spec and bundles its external references. Throws AppError('validation_failed') only
 * when there is no readable document of a known format; everything else is a warning.
 */
export async function loadSpec({
  source,
  fetchText,
  onProgress,
}: {
  source: SpecSource;
  fetchText: FetchText;
  onProgress?: (phase: string) => void;
}): Promise<LoadedSpec> {
  onProgress?.('read');
  const { text, label, base } = await readSource({ source, fetchText });
  onProgress?.('parse');
  const { value: document, warnings } = parseSpecText({ text, label });
  const { externalRefs } = inspectTree({ root: document, label, warnings });
  const format = detectFormat({ doc: document, warnings });
  const specUrl = base.kind === 'url' ? { specUrl: base.url } : {};
  if (format === 'postman-2.1') return { format, document, warnings, ...specUrl };
  onProgress?.('resolve refs');
  if (externalRefs) await bundleExternalRefs({ document, base, fetchText, warnings });
  return { format, document, warnings, ...specUrl };
}
