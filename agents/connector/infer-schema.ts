// A JSON Schema from a real answer: types and keys, arrays by their first items, no `required`
// (one sample says what can be there, not what always is). The output schema of an action built
// from docs, or one the fixer replaces because real answers break it.
export function inferSchema(value: unknown, depth = 0): Record<string, unknown> {
  if (depth > 8) return {};
  if (value === null) return { nullable: true };
  if (Array.isArray(value)) {
    const sample: unknown = value.find((v: unknown) => v !== null);
    return { type: 'array', items: sample === undefined ? {} : inferSchema(sample, depth + 1) };
  }
  switch (typeof value) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: Number.isInteger(value) ? 'integer' : 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'object': {
      const properties: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, 200))
        properties[k] = inferSchema(v, depth + 1);
      return { type: 'object', properties };
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return {};
  }
  return {};
}
