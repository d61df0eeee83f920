// What a client is shown of a tool's schema, and what it is not. The zod schema stays the judge
// of every call (define-tool validates the arguments against it, in full); the JSON Schema that
// `tools/list` advertises is a looser, smaller picture of it, because every session pays for it
// in tokens and several clients refuse constructs that are legal JSON Schema. Looser, never
// wrong: each rewrite below only widens what the schema accepts, so a call the server accepts is
// never one the advertised schema rules out. The exact schemas are served on demand
// (`describe_tool`, `weft://schemas/<tool>`).

type Json = Record<string, unknown>;

/** The formats every client we know accepts (OpenAI's list); `uri` is refused by some models. */
export const PORTABLE_FORMATS = new Set([
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uuid',
]);

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isEmpty = (v: unknown) =>
  v === null || (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);

// zod writes these on every `.int()`: they say nothing a model needs.
const SAFE_INT = Number.MAX_SAFE_INTEGER;

/** The `type` of a schema for a collapsed view: one type, or the branch types of a union. */
function typeOnly(schema: Json): Json {
  if (typeof schema['type'] === 'string') return { type: schema['type'] };
  const branches = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(branches)) {
    const types = [
      ...new Set(
        branches.filter(isObject).map((b) => (typeof b['type'] === 'string' ? b['type'] : null)),
      ),
    ];
    if (types.length === 1 && types[0] !== null) return { type: types[0] };
    if (types.every((t) => t !== null)) return { anyOf: types.map((type) => ({ type })) };
  }
  return {};
}

/**
 * A union of object variants told apart by one `const` property (a discriminated union) as one
 * object: the discriminator an enum, the properties the union of the variants', required only
 * what every variant requires. It accepts every variant (and some mixes the server refuses).
 */
function mergeVariants(branches: Json[]): Json | null {
  if (branches.length < 2 || !branches.every((b) => b['type'] === 'object')) return null;
  const props = branches.map((b) => (isObject(b['properties']) ? b['properties'] : {}));
  const first = props[0] ?? {};
  const discriminator = Object.keys(first).find((key) =>
    props.every((p) => isObject(p[key]) && p[key]['const'] !== undefined),
  );
  if (discriminator === undefined) return null;
  const properties: Json = {};
  for (const p of props) {
    for (const [key, value] of Object.entries(p)) if (!(key in properties)) properties[key] = value;
  }
  const values = props.map((p) => (p[discriminator] as Json)['const']);
  properties[discriminator] = { type: typeof values[0], enum: [...new Set(values)] };
  const requiredSets = branches.map(
    (b) => new Set(Array.isArray(b['required']) ? (b['required'] as string[]) : []),
  );
  const required = [...(requiredSets[0] ?? [])].filter((key) =>
    requiredSets.every((s) => s.has(key)),
  );
  return { type: 'object', properties, ...(required.length > 0 && { required }) };
}

/**
 * The advertised form of a JSON Schema made by `z.toJSONSchema`. Below `maxDepth` levels of
 * object nesting a schema is cut to its type (and description): the model sees the shape of
 * the top of an argument and reads the rest on demand.
 */
export function leanSchema(schema: Json, { maxDepth = 3 }: { maxDepth?: number } = {}): Json {
  return lean(schema, 0, maxDepth);
}

function lean(schema: Json, depth: number, maxDepth: number): Json {
  if (depth > maxDepth) {
    const cut = typeOnly(schema);
    // Just past the cut, an object still names its fields (types only): enough to guess the
    // shape, with the details one describe_tool away.
    if (depth === maxDepth + 1 && isObject(schema['properties'])) {
      cut['properties'] = Object.fromEntries(
        Object.entries(schema['properties']).map(([k, v]) => [k, isObject(v) ? typeOnly(v) : {}]),
      );
    }
    if (typeof schema['description'] === 'string') cut['description'] = schema['description'];
    return cut;
  }
  const union = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(union)) {
    const raw = union.filter(isObject);
    const merged = mergeVariants(raw);
    const branches = raw.map((b) => lean(b, depth, maxDepth));
    const out: Json = merged
      ? lean(merged, depth, maxDepth)
      : branches.length === 1 && branches[0]
        ? branches[0]
        : { anyOf: branches };
    if (typeof schema['description'] === 'string') out['description'] = schema['description'];
    if (schema['default'] !== undefined) out['default'] = schema['default'];
    return out;
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case '$schema':
      case 'minLength':
      case 'maxLength':
      case 'minItems':
      case 'maxItems':
      case 'propertyNames':
      case 'patternProperties':
      case 'allOf':
        continue;
      case 'pattern':
        if (typeof schema['format'] === 'string') continue;
        out[key] = value;
        continue;
      case 'format':
        if (typeof value === 'string' && PORTABLE_FORMATS.has(value)) out[key] = value;
        continue;
      case 'default':
        // An empty default says nothing; a real one (`production`, `parallel`) is worth its bytes.
        if (!isEmpty(value)) out[key] = value;
        continue;
      case 'minimum':
        if (value !== -SAFE_INT) out[key] = value;
        continue;
      case 'maximum':
        if (value !== SAFE_INT) out[key] = value;
        continue;
      case 'additionalProperties':
        // `false` is left out (the server refuses unknown keys anyway, naming the closest
        // valid one); a record's value schema is kept when it says something.
        if (isObject(value) && Object.keys(value).length > 0) {
          out[key] = lean(value, depth + 1, maxDepth);
        }
        continue;
      case 'properties':
        if (isObject(value)) {
          out[key] = Object.fromEntries(
            Object.entries(value).map(([name, sub]) => [
              name,
              isObject(sub) ? lean(sub, depth + 1, maxDepth) : {},
            ]),
          );
        }
        continue;
      case 'items':
        out[key] = isObject(value) ? lean(value, depth, maxDepth) : {};
        continue;
      default:
        out[key] = value;
    }
  }
  return out;
}

/**
 * What travels badly between clients, found in a JSON Schema: the list the MCP Inspector's
 * portability check and the model vendors agree on (no `$ref`/`$defs`, no boolean or
 * untyped-union subschemas, no `oneOf`/`allOf`/`not`/conditionals, no `propertyNames` or
 * `patternProperties`, formats from the portable list, an object at the top).
 */
export function portabilityIssues(schema: unknown, where = '#'): string[] {
  if (!isObject(schema)) return [`${where}: a boolean or non-object schema`];
  const issues: string[] = [];
  if (where === '#' && schema['type'] !== 'object') issues.push('#: the top is not an object');
  for (const [key, value] of Object.entries(schema)) {
    const at = `${where}/${key}`;
    switch (key) {
      case '$ref':
      case '$defs':
      case 'definitions':
      case 'oneOf':
      case 'allOf':
      case 'not':
      case 'if':
      case 'then':
      case 'else':
      case 'propertyNames':
      case 'patternProperties':
      case 'prefixItems':
      case 'discriminator':
      case 'dependentSchemas':
      case 'unevaluatedProperties':
        issues.push(`${at}: not portable`);
        break;
      case 'format':
        if (typeof value !== 'string' || !PORTABLE_FORMATS.has(value))
          issues.push(`${at}: format ${String(value)} is not portable`);
        break;
      case 'anyOf':
        if (!Array.isArray(value)) issues.push(`${at}: not an array`);
        else
          value.forEach((b, i) => {
            if (!isObject(b) || typeof b['type'] !== 'string')
              issues.push(`${at}/${i}: a union branch without a type`);
            issues.push(...portabilityIssues(b, `${at}/${i}`));
          });
        break;
      case 'properties':
        if (isObject(value))
          for (const [name, sub] of Object.entries(value))
            issues.push(...portabilityIssues(sub, `${at}/${name}`));
        break;
      case 'items':
        issues.push(...portabilityIssues(value, at));
        break;
      case 'additionalProperties':
        if (value !== false) issues.push(...portabilityIssues(value, at));
        break;
      default:
    }
  }
  return issues;
}
