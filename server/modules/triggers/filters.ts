import jsonata from 'jsonata';
import { AppError } from '../../errors.ts';

type Expression = ReturnType<typeof jsonata>;

const compiled = new Map<string, Expression>();

/**
 * Compiles a route filter or dedup path (JSONata), with the position of a syntax error. Compiled
 * expressions are cached by their text: the same filter serves every event of its route.
 */
export function compileJsonata({ text, field }: { text: string; field: string }): Expression {
  const cached = compiled.get(text);
  if (cached) return cached;
  let expression: Expression;
  try {
    expression = jsonata(text);
  } catch (error) {
    const e = error as { message?: string; position?: number };
    throw new AppError(
      'validation_failed',
      `${field} is not a valid JSONata expression${e.position === undefined ? '' : ` (at character ${e.position})`}: ${e.message ?? 'syntax error'}`,
      { field },
    );
  }
  if (compiled.size > 5000) compiled.clear();
  compiled.set(text, expression);
  return expression;
}

/** What a filter or dedup path sees: the event's body and its (lower-case) headers. */
export interface FilterInput {
  body: unknown;
  headers: Record<string, string>;
}

/** True only when the filter evaluates to exactly `true`; an evaluation error is a non-match. */
export async function matches({
  filter,
  input,
}: {
  filter: string | null;
  input: FilterInput;
}): Promise<boolean> {
  if (filter === null) return true;
  try {
    const result: unknown = await compileJsonata({ text: filter, field: 'filter' }).evaluate(input);
    return result === true;
  } catch {
    return false;
  }
}

/** The dedup key at `path`, as a string; null when the path is absent in the event. */
export async function dedupKeyOf({
  path,
  input,
}: {
  path: string;
  input: FilterInput;
}): Promise<string | null> {
  try {
    const value: unknown = await compileJsonata({ text: path, field: 'dedup.path' }).evaluate(
      input,
    );
    if (value === undefined || value === null) return null;
    const key = typeof value === 'string' ? value : JSON.stringify(value);
    return key.slice(0, 500);
  } catch {
    return null;
  }
}
