// Field mappings of a plan's write steps, proposed offline from the target action's input schema
// (get_action) and a source record (a real sample when a connection exists, else the spec's
// example or a record made from the output schema), then shown to the person in plain words.
// Decision: a name table of common synonyms (total → amount, number → title) rather than
// embeddings: predictable, explainable in the review, and the person corrects the rest.
import type { BuildPlan, Mapping, PlanStep } from './plan.ts';
import type { ToolCaller } from './tools.ts';

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  example?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  nullable?: boolean;
};

export interface ActionShape {
  readonly input: Schema;
  readonly output: Schema | undefined;
}

export async function actionShape(
  tools: ToolCaller,
  connector: string,
  action: string,
): Promise<ActionShape> {
  const got = await tools.call<{ inputSchema?: Schema; outputSchema?: Schema }>('get_action', {
    connector,
    action,
  });
  return { input: got.inputSchema ?? {}, output: got.outputSchema };
}

/** Every leaf path of a record (a.b, line_items), with its value. */
export function leafPaths(record: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    if (prefix !== '') out.set(prefix, record);
    return out;
  }
  for (const [k, v] of Object.entries(record)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [p, x] of leafPaths(v, path)) out.set(p, x);
    } else out.set(path, v);
  }
  return out;
}

export function getPath(record: unknown, path: string): unknown {
  let at: unknown = record;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** A record made from a schema: its example, else a plausible value per type. */
export function exampleOf(schema: Schema | undefined, name = ''): unknown {
  if (schema === undefined) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.examples?.[0] !== undefined) return schema.examples[0];
  if (schema.enum?.[0] !== undefined) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object' || schema.properties !== undefined) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = exampleOf(v, k);
    return out;
  }
  if (type === 'array') return [exampleOf(schema.items, name)];
  if (type === 'integer') return 1;
  if (type === 'number') return 10.5;
  if (type === 'boolean') return true;
  if (/email/i.test(name)) return 'sample@example.com';
  if (/currency/i.test(name)) return 'EUR';
  if (/total|amount|price/i.test(name)) return '10.50';
  return `sample ${name}`.trim();
}

/** The record schema inside a list answer: data[] / items[] / the array itself. */
export function recordSchemaOf(output: Schema | undefined, recordPath: string): Schema | undefined {
  if (output === undefined) return undefined;
  if (output.type === 'array') return output.items;
  const inner = output.properties?.[recordPath];
  if (inner?.type === 'array') return inner.items;
  const firstArray = Object.values(output.properties ?? {}).find((p) => p.type === 'array');
  return firstArray?.items ?? output;
}

const SYNONYMS: Record<string, readonly string[]> = {
  amount: ['amount', 'total', 'grand_total', 'total_price', 'price', 'value'],
  value: ['value', 'total', 'amount'],
  title: ['title', 'name', 'subject', 'number'],
  name: ['name', 'full_name', 'customer.name', 'title'],
  email: ['email', 'customer.email', 'contact.email', 'email_address'],
  currency: ['currency', 'currency_code'],
  external_id: ['id', 'external_id', 'number'],
  description: ['description', 'note', 'notes'],
  status: ['status', 'state'],
  text: ['text', 'message', 'summary'],
};

function typeOf(schema: Schema | undefined): string | undefined {
  return Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
}

/** Proposes the mappings of one step from the target's input schema and a source record. */
export function proposeStepMappings({
  step,
  input,
  record,
  entity,
  earlier,
}: {
  step: PlanStep;
  input: Schema;
  record: unknown;
  entity: string;
  /** Steps before this one (their ids can be referenced: steps.contact.id). */
  earlier: readonly PlanStep[];
}): Mapping[] {
  const leaves = leafPaths(record);
  const out: Mapping[] = [];
  for (const [field, schema] of Object.entries(input.properties ?? {})) {
    const type = typeOf(schema);
    const as =
      type === 'number' || type === 'integer' || type === 'boolean' || type === 'string'
        ? type
        : undefined;
    const ref = /^([a-z]+)_id$/.exec(field);
    const refStep = ref ? earlier.find((s) => s.id === ref[1] || s.entity === ref[1]) : undefined;
    if (refStep !== undefined) {
      out.push({ target: field, from: `steps.${refStep.id}.id` });
      continue;
    }
    if (step.kind === 'notify' && (field === 'text' || field === 'message')) {
      out.push({ target: field, template: `New ${entity} {number}: {total} {currency}` });
      continue;
    }
    const candidates = [field, ...(SYNONYMS[field] ?? [])];
    const path =
      candidates.find(
        (c) => leaves.has(c) && leaves.get(c) !== null && typeof leaves.get(c) !== 'object',
      ) ?? [...leaves.keys()].find((p) => p.endsWith(`.${field}`));
    if (path === undefined) continue;
    if (field === 'title' && (path === 'number' || path === 'id')) {
      out.push({
        target: field,
        template: `${entity.charAt(0).toUpperCase()}${entity.slice(1)} {${path}}`,
      });
      continue;
    }
    const sourceType = typeof leaves.get(path);
    const needsCast =
      as !== undefined && !(as === 'integer' ? sourceType === 'number' : sourceType === as);
    out.push({ target: field, from: path, ...(needsCast && { as }) });
  }
  return out;
}

/** Fills every step's mappings; the person's changes (by step.field or field) win. */
export async function proposeMappings({
  tools,
  plan,
  record,
  overrides = {},
}: {
  tools: ToolCaller;
  plan: BuildPlan;
  record: unknown;
  overrides?: Record<string, Omit<Mapping, 'target'>>;
}): Promise<BuildPlan> {
  const steps: PlanStep[] = [];
  for (const step of plan.steps) {
    const { input } = await actionShape(tools, step.connector, step.action);
    const proposed =
      step.mappings.length > 0
        ? step.mappings
        : proposeStepMappings({ step, input, record, entity: plan.source.entity, earlier: steps });
    const byTarget = new Map(proposed.map((m) => [m.target, m]));
    for (const [key, change] of Object.entries(overrides)) {
      const [stepId, field] = key.includes('.') ? key.split('.', 2) : [step.id, key];
      if (stepId !== step.id || field === undefined) continue;
      if (!key.includes('.') && !byTarget.has(field)) continue;
      byTarget.set(field, { target: field, ...change });
    }
    steps.push({ ...step, mappings: [...byTarget.values()] });
  }
  return { ...plan, steps };
}

/** One mapping in plain words, for the review: "amount ← the order's total, as a number". */
export function describeMapping(mapping: Mapping, entity: string): string {
  const cast = mapping.as
    ? `, as ${mapping.as === 'integer' ? 'a whole number' : `a ${mapping.as}`}`
    : '';
  if (mapping.template !== undefined)
    return `${mapping.target} ← the text "${mapping.template}"${cast}`;
  if (mapping.from?.startsWith('steps.'))
    return `${mapping.target} ← the ${mapping.from.split('.')[2]} of the ${mapping.from.split('.')[1]} found or created before`;
  if (mapping.from !== undefined)
    return `${mapping.target} ← the ${entity}'s ${mapping.from.replaceAll('.', ' ')}${cast}`;
  return `${mapping.target} ← always ${JSON.stringify(mapping.value)}`;
}

/** Text of a value as the generated code's String() gives it. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/** Value of one mapping on a record, as the generated code computes it (tests' expectations). */
export function evaluateMapping(
  mapping: Mapping,
  record: unknown,
  steps: Record<string, unknown> = {},
): unknown {
  let value: unknown;
  if (mapping.template !== undefined) {
    value = mapping.template.replace(/\{([^}]+)\}/g, (_m, p: string) => {
      const v = getPath(record, p.trim());
      return v === undefined || v === null ? '' : asText(v);
    });
  } else if (mapping.from?.startsWith('steps.')) {
    value = getPath(steps, mapping.from.slice('steps.'.length));
  } else if (mapping.from !== undefined) value = getPath(record, mapping.from);
  else value = mapping.value;
  if (value === undefined || value === null) return value;
  switch (mapping.as) {
    case 'number':
      return Number(value);
    case 'integer':
      return Math.round(Number(value));
    case 'string':
      return asText(value);
    case 'boolean':
      return value === true || value === 'true';
    case undefined:
      return value;
  }
}
