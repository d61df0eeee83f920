// The offline fixer between test rounds: a failing case goes back to the builder as a plan
// change. It repairs what the cases can show without a model — a required field that came out
// empty because its mapping reads a path the record does not have (a typo, a renamed field) —
// by the closest path the record does have, and says so; anything else it leaves failing, so
// the round limit ends the loop and the report names the case and why.
import type { CaseResult } from './cases.ts';
import { leafPaths } from './mapping.ts';
import type { BuildPlan, Mapping } from './plan.ts';

export interface PlanChange {
  readonly step: string;
  readonly field: string;
  readonly before: string;
  readonly after: string;
  readonly why: string;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min(
        (row[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

function describe(m: Mapping | undefined): string {
  if (m === undefined) return '(unmapped)';
  return m.from ?? m.template ?? JSON.stringify(m.value);
}

/** Fields the cases found empty, per step key (connector.action). */
function emptyFields(results: readonly CaseResult[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of results) {
    for (const p of r.problems) {
      const m = /^([\w-]+\.[\w-]+): required field ([\w-]+) is/.exec(p);
      if (m?.[1] === undefined || m[2] === undefined) continue;
      const set = out.get(m[1]) ?? new Set<string>();
      set.add(m[2]);
      out.set(m[1], set);
    }
  }
  return out;
}

export function fixPlan({
  plan,
  results,
  record,
}: {
  plan: BuildPlan;
  results: readonly CaseResult[];
  record: Record<string, unknown>;
}): { plan: BuildPlan; changes: PlanChange[] } {
  const empty = emptyFields(results);
  const leaves = [...leafPaths(record).entries()].filter(([, v]) => v !== null && v !== '');
  const changes: PlanChange[] = [];
  const steps = plan.steps.map((step) => {
    const fields = empty.get(`${step.connector}.${step.action}`);
    if (fields === undefined) return step;
    const mappings = [...step.mappings];
    for (const field of fields) {
      const index = mappings.findIndex((m) => m.target === field);
      const current = mappings[index];
      const wanted = current?.from ?? field;
      if (current?.from?.startsWith('steps.')) continue;
      const best = leaves
        .map(([path]) => ({
          path,
          d: Math.min(distance(path, wanted), distance(path.split('.').at(-1) ?? path, wanted)),
        }))
        .sort((a, b) => a.d - b.d)[0];
      if (best === undefined || best.d > 2 || best.path === wanted) continue;
      const next: Mapping = { ...(current ?? { target: field }), from: best.path };
      if (index >= 0) mappings[index] = next;
      else mappings.push(next);
      changes.push({
        step: step.id,
        field,
        before: describe(current),
        after: best.path,
        why: `${field} came out empty: the record has no ${wanted}; ${best.path} is the closest field it has`,
      });
    }
    return { ...step, mappings };
  });
  return { plan: { ...plan, steps }, changes };
}
