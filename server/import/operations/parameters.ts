/**
 * An operation's raw parameters: path-level and operation-level lists merged (the operation's
 * replace the path's of the same name and location), each resolved through `$ref`; and the
 * schema of a non-body parameter, which Swagger 2 writes inline on the parameter itself.
 * A parameter that cannot be read is skipped with a warning.
 */
import { addWarning } from '../types.ts';
import { isObject, type Json } from '../schema.ts';
import type { Context } from './context.ts';

export interface RawParameter {
  param: Json;
  at: string;
}

export function collectParameters({
  lists,
  ctx,
}: {
  lists: { value: unknown; at: string }[];
  ctx: Context;
}): RawParameter[] {
  const merged = new Map<string, RawParameter>();
  for (const { value, at } of lists) {
    if (value === undefined) continue;
    if (!Array.isArray(value)) {
      addWarning(ctx.warnings, { path: at, reason: 'parameters is not a list; ignored' });
      continue;
    }
    value.forEach((entry, i) => {
      const { node, missing, ref } = ctx.resolver.deref(entry);
      const where = `${at}/${i}`;
      if (missing || !isObject(node)) {
        addWarning(ctx.warnings, {
          path: where,
          reason: missing
            ? `parameter ${ref ?? ''} cannot be resolved; skipped`
            : 'parameter is not an object; skipped',
        });
        return;
      }
      const name = node['name'];
      const location = node['in'];
      if (typeof name !== 'string' || name === '' || typeof location !== 'string') {
        addWarning(ctx.warnings, {
          path: where,
          reason: 'parameter without a name or "in"; skipped',
        });
        return;
      }
      // Operation-level parameters come last and replace path-level ones of the same name.
      merged.set(`${location}:${name}`, { param: node, at: where });
    });
  }
  return [...merged.values()];
}

/** The schema of a non-body parameter: OpenAPI 3 `schema`/`content`, or Swagger 2 inline fields. */
export function parameterSchema({ param, ctx }: { param: Json; ctx: Context }): unknown {
  const schema = param['schema'];
  if (schema !== undefined) return schema;
  const content = param['content'];
  if (isObject(content)) {
    const first = Object.values(content).find(isObject);
    if (first !== undefined) return first['schema'];
  }
  if (ctx.format === 'swagger-2.0') {
    const synthetic: Json = {};
    for (const key of [
      'type',
      'format',
      'items',
      'enum',
      'default',
      'minimum',
      'maximum',
      'exclusiveMinimum',
      'exclusiveMaximum',
      'minLength',
      'maxLength',
      'pattern',
      'minItems',
      'maxItems',
      'uniqueItems',
      'multipleOf',
      'x-nullable',
    ])
      if (Object.hasOwn(param, key)) synthetic[key] = param[key];
    return synthetic;
  }
  return undefined;
}
