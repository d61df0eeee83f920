/**
 * The mapping engine: turns source records into CDM entities (`to_canonical`) and back
 * (`from_canonical`) with one JSONata expression per target field.
 *
 * Target paths are dot paths into the output (`address.line1`, `custom.plan`). Arrays of
 * objects are mapped in one of two ways:
 *
 * - `lineItems`: one expression returning the whole array of objects (validated against the
 *   entity, but not coerced element by element); or
 * - `lineItems[]` plus `lineItems[].sku`, `lineItems[].quantity`, …: the `lineItems[]`
 *   expression selects the source array, and each `lineItems[].x` expression is evaluated once
 *   per element with that element as its input (`$record` is the whole record). One array level
 *   only: `a[].b[].c` is refused.
 *
 * Speed: expressions that are plain paths, literals or helper calls skip JSONata's interpreter
 * (mapping/expressions.ts says how, and why results never differ).
 *
 * This file holds the public entry points (compile, preview, checks); the parts are in
 * mapping/: types.ts (the contract), expressions.ts, targets.ts, fields.ts (entity fields and
 * coercion), validate.ts and engine.ts (applying to one record). Imports run one way (engine.ts
 * and validate.ts → expressions.ts, fields.ts, targets.ts → types.ts), so there is no cycle.
 */
import { AppError } from '../errors.ts';
import type { CustomField } from './entities.ts';
import { buildEngine } from './mapping/engine.ts';
import { compileExpression, FALLBACK, type CompiledExpression } from './mapping/expressions.ts';
import { getPath, parseTarget } from './mapping/targets.ts';
import type { ApplyResult, CompiledMapping, Mapping, MappingInput } from './mapping/types.ts';
import { validateMapping } from './mapping/validate.ts';

export { compileExpression } from './mapping/expressions.ts';
export {
  MAPPING_DIRECTIONS,
  type ApplyResult,
  type CompiledMapping,
  type FieldError,
  type Mapping,
  type MappingDirection,
  type MappingInput,
} from './mapping/types.ts';
export { validateMapping } from './mapping/validate.ts';

function unpack(input: MappingInput): {
  mapping: Mapping;
  customFields: readonly CustomField[] | undefined;
} {
  return 'mapping' in input
    ? { mapping: input.mapping, customFields: input.customFields }
    : { mapping: input, customFields: undefined };
}

/**
 * Compiles every expression of a mapping once; throws `validation_failed` (listing each bad
 * field) when `validateMapping` finds problems. `apply` never throws: per-field failures
 * (a helper refusing its input, a value of the wrong type) come back in `errors`.
 */
export function compileMapping(input: MappingInput): CompiledMapping {
  const { mapping, customFields } = unpack(input);
  const problems = validateMapping(customFields ? { mapping, customFields } : { mapping });
  if (problems.length > 0) {
    throw new AppError(
      'validation_failed',
      `invalid mapping: ${problems.map((p) => `${p.field || '(mapping)'}: ${p.message}`).join('; ')}`,
      { errors: problems },
    );
  }
  const engine = buildEngine({ mapping, customFields });
  const apply = async (record: unknown): Promise<ApplyResult> => {
    const { value, errors } = await engine.run(record);
    return { value, errors };
  };
  return {
    apply,
    async applyMany(records) {
      const out: ApplyResult[] = [];
      for (const record of records) out.push(await apply(record));
      return out;
    },
  };
}

export interface PreviewRow {
  field: string;
  expression: string;
  /** The source value, when the expression is a plain path into the record. */
  source?: unknown;
  result: unknown;
  error?: string;
}

/**
 * One row per mapped field showing what it reads and produces for one sample record. Invalid
 * fields show their validation error; the rest are still evaluated.
 */
export async function preview({
  mapping,
  record,
  customFields,
}: {
  mapping: Mapping;
  record: unknown;
  customFields?: readonly CustomField[];
}): Promise<PreviewRow[]> {
  const problems = validateMapping(customFields ? { mapping, customFields } : { mapping });
  if (problems.some((p) => p.field === '')) {
    return problems.map((p) => ({
      field: p.field,
      expression: p.expression,
      result: undefined,
      error: p.message,
    }));
  }
  const bad = new Map(problems.map((p) => [p.field, p.message]));
  const good: Record<string, string> = {};
  for (const [field, expression] of Object.entries(mapping.fields)) {
    if (!bad.has(field)) good[field] = expression;
  }
  const run = await buildEngine({
    mapping: { ...mapping, fields: good },
    customFields,
  }).run(record, true);
  const errorsByField = new Map<string, string[]>();
  for (const error of run.errors) {
    const key = Object.hasOwn(mapping.fields, error.field)
      ? error.field
      : error.field.replace(/\[\d+\]/g, '[]');
    errorsByField.set(key, [...(errorsByField.get(key) ?? []), `${error.field}: ${error.message}`]);
  }
  const contexts = new Map<string, unknown>();
  for (const field of Object.keys(mapping.fields)) {
    const target = parseTarget(field);
    if (typeof target === 'string' || target.kind !== 'context') continue;
    const r = run.results.get(field);
    contexts.set(target.arrayKey, Array.isArray(r) ? r : r === undefined ? r : [r]);
  }
  return Object.entries(mapping.fields).map(([field, expression]) => {
    const row: PreviewRow = { field, expression, result: undefined };
    const invalid = bad.get(field);
    if (invalid !== undefined) {
      row.error = invalid;
      return row;
    }
    row.result = run.results.get(field);
    const target = parseTarget(field);
    let compiled: CompiledExpression | undefined;
    try {
      compiled = compileExpression(expression);
    } catch {
      compiled = undefined;
    }
    if (compiled?.path && typeof target !== 'string') {
      if (target.kind === 'item') {
        const elements = contexts.get(target.arrayKey);
        if (Array.isArray(elements)) {
          const path = compiled.path;
          row.source = elements.map((e) => {
            const v = path(e);
            return v === FALLBACK ? undefined : v;
          });
        }
      } else {
        const v = compiled.path(record);
        if (v !== FALLBACK) row.source = v;
      }
    }
    const fieldErrors = errorsByField.get(field);
    if (fieldErrors) row.error = fieldErrors.join('; ');
    return row;
  });
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.every(isEmptyValue);
  if (typeof value === 'object') return Object.values(value).every(isEmptyValue);
  return false;
}

/**
 * True when a record that holds data maps to nothing: every value target came out empty (`raw`,
 * a copy of the record, and `[]` selectors aside). Each field alone looks merely unset, so the
 * usual cause, paths written for another shape (`data[].email` applied to one record), would
 * otherwise go unnoticed.
 */
export function mapsNothing({
  rows,
  record,
}: {
  rows: readonly PreviewRow[];
  record: unknown;
}): boolean {
  if (isEmptyValue(record)) return false;
  const values = rows.filter((r) => r.field !== '' && r.field !== 'raw' && !r.field.endsWith('[]'));
  return values.length > 0 && values.every((r) => isEmptyValue(r.result));
}

/** Reads a dot path (no arrays) from a record; used to compare round trips. */
export function readPath({ record, path }: { record: unknown; path: string }): unknown {
  return getPath(record, path.split('.'));
}
