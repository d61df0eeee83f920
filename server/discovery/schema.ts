/**
 * A JSON Schema for a sample JSON value, for a connector's output schema. Unlike the Postman
 * importer's `inferSchema` (first array item only), every item of an array is merged, so a list
 * answer yields the union of its records' fields, with `required` holding the fields every
 * record has and a type list where records disagree (`["string", "null"]`).
 */

/** Deepest nesting described; below it, `{}`. */
const MAX_DEPTH = 12;
/** Properties described per object. */
const MAX_PROPERTIES = 200;
/** Array items merged per array. */
const MAX_ITEMS = 100;

export type JsonSchema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const FORMATS: readonly (readonly [format: string, pattern: RegExp])[] = [
  ['date-time', /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/],
  ['date', /^\d{4}-\d{2}-\d{2}$/],
  ['email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/],
  ['uri', /^https?:\/\/\S+$/],
];

function formatOf(values: readonly string[]): string | undefined {
  for (const [format, pattern] of FORMATS) {
    if (values.length > 0 && values.every((v) => pattern.test(v))) return format;
  }
  return undefined;
}

/** One schema for several sample values of the same place. */
function describeAll(values: readonly unknown[], depth: number): JsonSchema {
  if (values.length === 0 || depth >= MAX_DEPTH) return {};
  const types = [...new Set(values.map(typeOf))];
  // An integer that is sometimes fractional is a number.
  const merged =
    types.includes('number') && types.includes('integer')
      ? types.filter((t) => t !== 'integer')
      : types;
  const schema: JsonSchema = { type: merged.length === 1 ? merged[0] : merged.sort() };
  const objects = values.filter((v): v is Record<string, unknown> => typeOf(v) === 'object');
  if (objects.length > 0) {
    const names: string[] = [];
    for (const object of objects) {
      for (const name of Object.keys(object)) {
        if (names.length >= MAX_PROPERTIES) break;
        if (!names.includes(name)) names.push(name);
      }
    }
    schema['properties'] = Object.fromEntries(
      names.map((name) => [
        name,
        describeAll(
          objects.filter((o) => Object.hasOwn(o, name)).map((o) => o[name]),
          depth + 1,
        ),
      ]),
    );
    const required = names.filter((name) => objects.every((o) => Object.hasOwn(o, name)));
    if (required.length > 0) schema['required'] = required;
  }
  const arrays = values.filter((v): v is unknown[] => Array.isArray(v));
  if (arrays.length > 0) {
    const items = arrays.flatMap((a) => a.slice(0, MAX_ITEMS));
    if (items.length > 0) schema['items'] = describeAll(items, depth + 1);
  }
  const strings = values.filter((v): v is string => typeof v === 'string');
  if (strings.length === values.length) {
    const format = formatOf(strings);
    if (format !== undefined) schema['format'] = format;
  }
  return schema;
}

/** A JSON Schema describing `value` (a parsed JSON body). */
export function inferJsonSchema(value: unknown): JsonSchema {
  return describeAll([value], 0);
}
