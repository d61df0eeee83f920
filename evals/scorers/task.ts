// Task success for a Workflow Agent case: the agent's verdict and plan shape as expected, and the
// effect seen in the fake apps after running the published workflow — per collection the records
// it added (how many, and that each expected record is among them, compared field by field on
// the fields the case names). A task passes only when every check holds.

export interface TaskExpectation {
  /** The agent's report status, e.g. `published`. */
  readonly status?: string | undefined;
  /** The plan's shape, e.g. `webhook_upsert`, `schedule_sync`. */
  readonly shape?: string | undefined;
  /** Per collection (`crm.deals`), per phase of the act (`after`, `again`): what was added. */
  readonly effects?:
    | Readonly<
        Record<
          string,
          Readonly<
            Record<
              string,
              {
                readonly count?: number | undefined;
                readonly include?: readonly Record<string, unknown>[] | undefined;
              }
            >
          >
        >
      >
    | undefined;
}

export interface TaskObservation {
  readonly status: string;
  readonly shape: string | null;
  /** Per phase, per collection: the records added in that phase. */
  readonly added: Readonly<Record<string, Readonly<Record<string, readonly unknown[]>>>>;
}

export interface TaskScore {
  readonly passed: boolean;
  readonly checks: number;
  readonly problems: readonly string[];
}

function matches(record: unknown, wanted: Readonly<Record<string, unknown>>): boolean {
  if (typeof record !== 'object' || record === null) return false;
  const r = record as Record<string, unknown>;
  return Object.entries(wanted).every(([k, v]) => JSON.stringify(r[k]) === JSON.stringify(v));
}

export function scoreTask({
  expected,
  observed,
}: {
  expected: TaskExpectation;
  observed: TaskObservation;
}): TaskScore {
  const problems: string[] = [];
  let checks = 0;
  if (expected.status !== undefined) {
    checks += 1;
    if (observed.status !== expected.status)
      problems.push(`status ${observed.status}, expected ${expected.status}`);
  }
  if (expected.shape !== undefined) {
    checks += 1;
    if (observed.shape !== expected.shape)
      problems.push(`shape ${observed.shape ?? 'none'}, expected ${expected.shape}`);
  }
  for (const [phase, collections] of Object.entries(expected.effects ?? {})) {
    for (const [collection, want] of Object.entries(collections)) {
      const added = observed.added[phase]?.[collection] ?? [];
      if (want.count !== undefined) {
        checks += 1;
        if (added.length !== want.count)
          problems.push(`${phase}: ${added.length} ${collection} added, expected ${want.count}`);
      }
      for (const record of want.include ?? []) {
        checks += 1;
        if (!added.some((r) => matches(r, record)))
          problems.push(`${phase}: no ${collection} record with ${JSON.stringify(record)}`);
      }
    }
  }
  return { passed: problems.length === 0 && checks > 0, checks, problems };
}
