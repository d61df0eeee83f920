// The CI gate: the overall scores of a run against the committed evals/baseline.json. A metric
// more than `tolerance` below its baseline fails; one above it is reported with the command that
// records the new baseline, so improvements are kept on purpose rather than by accident. A case
// that errored, timed out or could not be read fails the gate whatever the scores say: the
// overall scores are over the cases that were scored, so a case that dropped out can raise them.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { GATED_METRICS, type CaseStatus, type GatedMetric, type SuiteReport } from './report.ts';

export const BASELINE_FILE = path.join(import.meta.dirname, 'baseline.json');
export const DEFAULT_TOLERANCE = 0.01;
export const UPDATE_COMMAND = 'weft eval --provider offline --update-baseline';

export const BaselineSchema = z.object({
  runner: z.string(),
  provider: z.string(),
  tolerance: z.number().min(0).max(1).default(DEFAULT_TOLERANCE),
  metrics: z.record(z.string(), z.number()),
  /** Per case, for reading a drop; not gated. */
  cases: z.record(z.string(), z.record(z.string(), z.number())).default({}),
});
export type Baseline = z.infer<typeof BaselineSchema>;

export interface GateChange {
  metric: GatedMetric;
  baseline: number;
  now: number;
}

/** A case the run could not score: an error, a timeout, a case file that could not be read. */
export interface BrokenCase {
  id: string;
  status: CaseStatus;
  error: string;
}

const BROKEN: readonly CaseStatus[] = ['error', 'timeout', 'invalid'];

/** The cases of a run that did not run through to a score. */
export function brokenCases(report: SuiteReport): BrokenCase[] {
  return report.cases
    .filter((c) => BROKEN.includes(c.status))
    .map((c) => ({ id: c.id, status: c.status, error: (c.error ?? '').split('\n')[0] ?? '' }));
}

export interface GateResult {
  ok: boolean;
  broken: BrokenCase[];
  drops: GateChange[];
  improvements: GateChange[];
  /** Why the comparison is not like for like (another runner or provider), if it is not. */
  mismatch: string | null;
}

export function checkGate({
  report,
  baseline,
}: {
  report: SuiteReport;
  baseline: Baseline;
}): GateResult {
  const drops: GateChange[] = [];
  const improvements: GateChange[] = [];
  for (const metric of GATED_METRICS) {
    const before = baseline.metrics[metric];
    if (before === undefined) continue;
    // A metric the run could not measure (no fixer case ran) is a drop, not a pass.
    const now = report.overall[metric] ?? 0;
    if (now < before - baseline.tolerance - 1e-9) drops.push({ metric, baseline: before, now });
    else if (now > before + 1e-9) improvements.push({ metric, baseline: before, now });
  }
  const mismatch =
    report.header.runner !== baseline.runner || report.header.provider !== baseline.provider
      ? `the baseline was recorded with runner ${baseline.runner} / provider ${baseline.provider}, this run used ${report.header.runner} / ${report.header.provider}`
      : null;
  const broken = brokenCases(report);
  return {
    ok: drops.length === 0 && broken.length === 0 && mismatch === null,
    broken,
    drops,
    improvements,
    mismatch,
  };
}

export function baselineOf({
  report,
  tolerance = DEFAULT_TOLERANCE,
}: {
  report: SuiteReport;
  tolerance?: number;
}): Baseline {
  const round = (n: number): number => Math.round(n * 10_000) / 10_000;
  return {
    runner: report.header.runner,
    provider: report.header.provider,
    tolerance,
    metrics: Object.fromEntries(GATED_METRICS.map((m) => [m, round(report.overall[m] ?? 0)])),
    cases: Object.fromEntries(
      report.cases.flatMap((c) =>
        c.scores === undefined
          ? []
          : [
              [
                c.id,
                {
                  actionCoverage: round(c.scores.actions.coverage),
                  eventRecall: round(c.scores.events.recall),
                  entityRecall: round(c.scores.entities.recall),
                  fieldF1: round(c.scores.fields.f1),
                  testPassRate: round(c.scores.tests.passRate),
                },
              ],
            ],
      ),
    ),
  };
}

export async function readBaseline(file = BASELINE_FILE): Promise<Baseline> {
  return BaselineSchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
}

export async function writeBaseline({
  baseline,
  file = BASELINE_FILE,
}: {
  baseline: Baseline;
  file?: string;
}): Promise<void> {
  await fs.writeFile(file, `${JSON.stringify(baseline, null, 2)}\n`);
}

export function formatGate(result: GateResult): string {
  const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
  const lines: string[] = [];
  if (result.mismatch !== null) lines.push(`gate: not comparable: ${result.mismatch}`);
  for (const b of result.broken)
    lines.push(`gate: case ${b.id} did not finish (${b.status}): ${b.error.slice(0, 300)}`);
  for (const d of result.drops)
    lines.push(`gate: ${d.metric} dropped from ${pct(d.baseline)} to ${pct(d.now)}`);
  if (result.improvements.length > 0) {
    lines.push(
      `gate: improved: ${result.improvements.map((i) => `${i.metric} ${pct(i.baseline)} → ${pct(i.now)}`).join(', ')}`,
      `gate: record the new baseline with: ${UPDATE_COMMAND}`,
    );
  }
  if (result.ok && result.drops.length === 0) lines.push('gate: passed');
  return lines.join('\n');
}
