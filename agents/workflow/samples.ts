// Configuration from samples: a few real records pulled through a connection (run_action), or,
// with no connection, the record the source's spec describes; what they show (fields that are
// always empty, status values, currencies, the line-item shape, amounts sent as text) and the
// filter and mapping choices that follow. Decision: proposals only — the person accepts them at
// the mapping review; nothing here changes a plan by itself.
import { actionShape, exampleOf, leafPaths, recordSchemaOf } from './mapping.ts';
import type { BuildPlan } from './plan.ts';
import type { ToolCaller } from './tools.ts';

export interface SampleReport {
  readonly from: 'connection' | 'spec';
  readonly records: readonly Record<string, unknown>[];
  readonly alwaysEmpty: readonly string[];
  readonly statusValues: readonly { field: string; values: Record<string, number> }[];
  readonly currencies: readonly string[];
  readonly lineItems: { path: string; averageCount: number; fields: string[] } | null;
  readonly numericText: readonly string[];
  readonly proposals: {
    readonly filter: { field: string; in: string[]; why: string } | null;
    readonly notes: readonly string[];
  };
}

const NEGATIVE = /cancel|refund|fail|void|draft|pending|declin|abandon|test/i;

function listOf(body: unknown): Record<string, unknown>[] {
  const pick = (v: unknown) =>
    Array.isArray(v)
      ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object')
      : null;
  if (Array.isArray(body)) return pick(body) ?? [];
  if (body !== null && typeof body === 'object')
    for (const v of Object.values(body)) {
      const list = pick(v);
      if (list !== null) return list;
    }
  return [];
}

/** What a set of records shows. */
export function analyseRecords(
  records: readonly Record<string, unknown>[],
  from: SampleReport['from'],
): SampleReport {
  const leaves = records.map((r) => leafPaths(r));
  const paths = new Set(leaves.flatMap((l) => [...l.keys()]));
  const empty = (v: unknown) =>
    v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
  const alwaysEmpty =
    records.length < 2 ? [] : [...paths].filter((p) => leaves.every((l) => empty(l.get(p))));
  const statusValues: { field: string; values: Record<string, number> }[] = [];
  const currencies = new Set<string>();
  const numericText: string[] = [];
  for (const p of paths) {
    const values = leaves.map((l) => l.get(p));
    if (/(^|\.)(status|state)$/.test(p)) {
      const counts: Record<string, number> = {};
      for (const v of values) if (typeof v === 'string') counts[v] = (counts[v] ?? 0) + 1;
      statusValues.push({ field: p, values: counts });
    }
    if (/currency/i.test(p)) for (const v of values) if (typeof v === 'string') currencies.add(v);
    if (
      values.some((v) => typeof v === 'string') &&
      values.every((v) => typeof v !== 'string' || /^-?\d+(\.\d+)?$/.test(v)) &&
      /total|amount|price|tax|subtotal/i.test(p)
    )
      numericText.push(p);
  }
  let lineItems: SampleReport['lineItems'] = null;
  for (const p of paths) {
    const arrays = leaves.map((l) => l.get(p)).filter((v): v is unknown[] => Array.isArray(v));
    const first: unknown = arrays.flat()[0];
    if (arrays.length > 0 && first !== null && typeof first === 'object') {
      lineItems = {
        path: p,
        averageCount: arrays.reduce((n, a) => n + a.length, 0) / arrays.length,
        fields: Object.keys(first),
      };
      break;
    }
  }
  const notes: string[] = [];
  let filter: SampleReport['proposals']['filter'] = null;
  const status = statusValues[0];
  if (status !== undefined) {
    const keep = Object.keys(status.values).filter((v) => !NEGATIVE.test(v));
    const dropped = Object.keys(status.values).filter((v) => NEGATIVE.test(v));
    if (dropped.length > 0 && keep.length > 0)
      filter = {
        field: status.field,
        in: keep,
        why: `${dropped.join(', ')} records are in the samples; only ${keep.join(', ')} ones look like real business`,
      };
  }
  if (currencies.size > 1)
    notes.push(
      `amounts come in several currencies (${[...currencies].join(', ')}): map the currency field too`,
    );
  else if (currencies.size === 1) notes.push(`every sample is in ${[...currencies][0]}`);
  for (const p of numericText) notes.push(`${p} is a decimal sent as text: map it as a number`);
  for (const p of alwaysEmpty) notes.push(`${p} is empty in every sample: leave it unmapped`);
  if (lineItems !== null)
    notes.push(
      `${lineItems.path} holds line items (${lineItems.fields.join(', ')}), ${lineItems.averageCount.toFixed(1)} per record on average`,
    );
  return {
    from,
    records,
    alwaysEmpty,
    statusValues,
    currencies: [...currencies],
    lineItems,
    numericText,
    proposals: { filter, notes },
  };
}

/** Pulls up to `limit` records of the plan's source, through a connection when given. */
export async function sampleSource({
  tools,
  plan,
  connectionId,
  limit = 5,
}: {
  tools: ToolCaller;
  plan: BuildPlan;
  connectionId?: string | undefined;
  limit?: number;
}): Promise<SampleReport> {
  const list = plan.source.listAction;
  if (connectionId !== undefined && list !== undefined) {
    const answer = await tools
      .call<{ ok: boolean; body: unknown }>('run_action', {
        connectionId,
        action: list,
        input: {},
        maxItems: limit,
      })
      .catch(() => null);
    const records = answer?.ok === true ? listOf(answer.body).slice(0, limit) : [];
    if (records.length > 0) return analyseRecords(records, 'connection');
  }
  let record: Record<string, unknown> = { id: 1 };
  if (list !== undefined) {
    const { output } = await actionShape(tools, plan.source.connector, list);
    const made = exampleOf(recordSchemaOf(output, plan.source.recordPath));
    if (made !== null && typeof made === 'object' && !Array.isArray(made))
      record = made as Record<string, unknown>;
  }
  return analyseRecords([record], 'spec');
}
