import type { z } from 'zod';

/**
 * Text a name, slug, description or any other typed string field may not hold: U+0000 (which
 * Postgres text cannot store) and unpaired UTF-16 surrogates (which are not characters at all).
 * Workflow data is different: a field typed as arbitrary JSON (`z.unknown()`) is data, stored
 * as it is (server/db/stored-text.ts), so it is not checked.
 */
const UNSTORABLE =
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
  /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface TextIssue {
  /** JSON pointer to the string (or to the object whose key it is). */
  path: string;
  message: string;
}

function describe(text: string): string | null {
  const found = UNSTORABLE.exec(text);
  if (!found) return null;
  const code = found[0].charCodeAt(0);
  return code === 0
    ? 'contains U+0000 (NUL), which text cannot hold; remove it'
    : `contains an unpaired surrogate (U+${code.toString(16).toUpperCase()}), which is not a character; send valid UTF-16/UTF-8 text`;
}

const pointer = (path: string, key: string | number) =>
  `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
};

/** The schema that says what is at this place, looking through optional, default and the like. */
function unwrap(schema: z.ZodType | undefined): Def | undefined {
  let def = (schema as { _zod?: { def: Def } } | undefined)?._zod?.def;
  for (let i = 0; def && i < 10; i++) {
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) break;
    def = (inner as unknown as { _zod: { def: Def } })._zod.def;
  }
  return def;
}

/**
 * The first string (or object key) in `value` that text fields cannot hold, with its path; null
 * when there is none. Where `schema` types a property as `z.unknown()` or `z.any()`, that
 * property is data and is skipped; without a schema everything is checked. `value` must be
 * nested no deeper than request bodies may be (the JSON parser's limit).
 */
export function unstorableTextIn(value: unknown, schema?: z.ZodType, path = ''): TextIssue | null {
  if (typeof value === 'string') {
    const message = describe(value);
    return message ? { path: path || '/', message } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  const def = unwrap(schema);
  if (def && (def.type === 'unknown' || def.type === 'any')) return null;
  if (Array.isArray(value)) {
    const element = def?.type === 'array' ? def.element : undefined;
    for (const [i, item] of value.entries()) {
      const issue = unstorableTextIn(item, element, pointer(path, i));
      if (issue) return issue;
    }
    return null;
  }
  // A raw body (a Buffer) is the route's own business.
  if (ArrayBuffer.isView(value)) return null;
  const shape = def?.type === 'object' ? def.shape : undefined;
  for (const [key, item] of Object.entries(value)) {
    const keyMessage = describe(key);
    if (keyMessage) return { path: path || '/', message: `has a key that ${keyMessage}` };
    const issue = unstorableTextIn(item, shape?.[key], pointer(path, key));
    if (issue) return issue;
  }
  return null;
}
