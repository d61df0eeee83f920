/**
 * Applying a compiled mapping to one record: plain fields first, then array fields element by
 * element (`$record` bound to the whole record), each value coerced to its entity field's type;
 * for `to_canonical`, the result is checked against the entity schema and each issue is traced
 * back to the field whose expression produced it. A failure is recorded per field and never
 * thrown, so one bad field does not lose the record.
 */
import { entitySchema, withCustomFields, type CustomField } from '../entities.ts';
import {
  compileExpression,
  evaluate,
  expressionError,
  HELPER_BINDINGS,
  type CompiledExpression,
} from './expressions.ts';
import { coerce, entityFields, lookupField, type Coerced, type FieldType } from './fields.ts';
import { parseTarget, setPath } from './targets.ts';
import type { ApplyResult, FieldError, Mapping } from './types.ts';

interface PlainField {
  field: string;
  compiled: CompiledExpression;
  path: string[];
  type: FieldType | undefined;
}

interface ItemField {
  field: string;
  compiled: CompiledExpression;
  tail: string[];
  type: FieldType | undefined;
}

interface ArrayField {
  field: string;
  compiled: CompiledExpression;
  path: string[];
  items: ItemField[];
}

interface Run extends ApplyResult {
  /** Per target field: what its expression gave (an array of per-element results for items). */
  results: Map<string, unknown>;
}

interface Engine {
  run(record: unknown, collect?: boolean): Promise<Run>;
}

export function buildEngine({
  mapping,
  customFields,
}: {
  mapping: Mapping;
  customFields: readonly CustomField[] | undefined;
}): Engine {
  const toCanonical = mapping.direction === 'to_canonical';
  const known = toCanonical ? entityFields({ entity: mapping.entity, customFields }) : undefined;
  const typeOf = (path: string) => (known ? lookupField({ fields: known, path })?.type : undefined);
  const schema = toCanonical
    ? customFields && customFields.length > 0
      ? withCustomFields({ entity: mapping.entity, fields: customFields })
      : entitySchema(mapping.entity)
    : undefined;

  const plainFields: PlainField[] = [];
  const arrays = new Map<string, ArrayField>();
  const entries = Object.entries(mapping.fields);
  for (const [field, expression] of entries) {
    const target = parseTarget(field);
    if (typeof target === 'string' || target.kind !== 'context') continue;
    arrays.set(target.arrayKey, {
      field,
      compiled: compileExpression(expression),
      path: target.head,
      items: [],
    });
  }
  for (const [field, expression] of entries) {
    const target = parseTarget(field);
    if (typeof target === 'string') continue;
    const compiled = compileExpression(expression);
    if (target.kind === 'plain') {
      plainFields.push({ field, compiled, path: target.head, type: typeOf(field) });
    } else if (target.kind === 'item') {
      arrays.get(target.arrayKey)?.items.push({
        field,
        compiled,
        tail: target.tail,
        type: typeOf(field),
      });
    }
  }
  const arrayFields = [...arrays.values()];
  const expressionFor = (issuePath: string): { field: string; expression: string } => {
    const normalized = issuePath.replace(/\[\d+\]/g, '[]');
    const parts = normalized.split('.');
    for (let i = parts.length; i > 0; i--) {
      const candidate = parts.slice(0, i).join('.');
      const expression =
        mapping.fields[candidate] ?? mapping.fields[candidate.replace(/\[\]$/, '')];
      if (expression !== undefined) return { field: candidate, expression };
    }
    return { field: normalized, expression: '' };
  };

  /** `collect` keeps every expression's raw result (for previews); mapping does not need it. */
  async function run(record: unknown, collect = false): Promise<Run> {
    const value: Record<string, unknown> = {};
    const errors: FieldError[] = [];
    const results = new Map<string, unknown>();
    const failed = new Set<string>();
    const fail = ({ field, expression, message }: FieldError) => {
      errors.push({ field, expression, message });
      failed.add(field);
    };

    for (const f of plainFields) {
      let result: unknown;
      try {
        result = evaluate(f.compiled, { input: record, bindings: HELPER_BINDINGS });
        if (result instanceof Promise) result = await result;
      } catch (error) {
        fail({ field: f.field, expression: f.compiled.text, message: expressionError(error) });
        continue;
      }
      if (collect) results.set(f.field, result);
      if (result === undefined) continue;
      const coerced: Coerced = f.type
        ? coerce({ value: result, type: f.type })
        : { ok: true, value: result };
      if (!coerced.ok) {
        fail({ field: f.field, expression: f.compiled.text, message: coerced.message });
        continue;
      }
      setPath(value, f.path, coerced.value);
    }

    if (arrayFields.length > 0) {
      const itemBindings = { ...HELPER_BINDINGS, record };
      for (const a of arrayFields) {
        let source: unknown;
        try {
          source = evaluate(a.compiled, { input: record, bindings: HELPER_BINDINGS });
          if (source instanceof Promise) source = await source;
        } catch (error) {
          fail({ field: a.field, expression: a.compiled.text, message: expressionError(error) });
          continue;
        }
        results.set(a.field, source);
        if (source === undefined) continue;
        if (source === null) {
          setPath(value, a.path, null);
          continue;
        }
        const elements = Array.isArray(source) ? (source as unknown[]) : [source];
        const out: Record<string, unknown>[] = elements.map(() => ({}));
        for (const item of a.items) {
          const perItem: unknown[] = [];
          for (let i = 0; i < elements.length; i++) {
            const element = elements[i];
            const field = `${a.path.join('.')}[${i}].${item.tail.join('.')}`;
            let result: unknown;
            try {
              result = evaluate(item.compiled, { input: element, bindings: itemBindings });
              if (result instanceof Promise) result = await result;
            } catch (error) {
              fail({ field, expression: item.compiled.text, message: expressionError(error) });
              continue;
            }
            perItem.push(result);
            if (result === undefined) continue;
            const coerced = item.type
              ? coerce({ value: result, type: item.type })
              : { ok: true as const, value: result };
            if (!coerced.ok) {
              fail({ field, expression: item.compiled.text, message: coerced.message });
              continue;
            }
            setPath(out[i]!, item.tail, coerced.value);
          }
          results.set(item.field, perItem);
        }
        setPath(value, a.path, out);
      }
    }

    if (schema) {
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const path = issue.path
            .map((p, i) =>
              typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`,
            )
            .join('');
          if (failed.has(path)) continue;
          const { field, expression } = expressionFor(path);
          errors.push({ field: path === '' ? field : path, expression, message: issue.message });
        }
      }
    }
    return { value, errors, results };
  }

  return { run };
}
