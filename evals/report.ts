// The suite's report: one result per case (status, scores, cost) and the overall scores, micro
// averaged (sums of hits over sums of labels, so a big API weighs by what it has); auth and base
// URL are shares of scored cases. A case that failed, errored or timed out still counts, with
// what it scored (nothing, for a case that built nothing); skipped and unparseable cases are
// listed and not scored.
import type { SeededOutcome } from './fixer-case.ts';
import type { CaseScores } from './score-case.ts';
import { f1Of } from './scorers/fields.ts';

export type CaseStatus = 'ok' | 'failed' | 'error' | 'timeout' | 'skipped' | 'invalid';

export interface CaseMetrics {
  wallMs: number;
  buildMs?: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface CaseResult {
  id: string;
  kind: string;
  status: CaseStatus;
  error?: string;
  scores?: CaseScores;
  metrics?: CaseMetrics;
  fixes: readonly { action: string | null; errorClass: string; outcome: string }[];
  /** Fixer cases: each seeded fault and whether the agent repaired it. */
  seeded?: readonly SeededOutcome[];
  /** Task cases: whether the published workflow had the expected effect. */
  task?: { passed: boolean; checks: number; problems: readonly string[] };
  notes: readonly string[];
}

export interface Overall {
  cases: Record<CaseStatus, number>;
  scored: number;
  auth: number;
  baseUrl: number;
  actionCoverage: number;
  schemaValidity: number;
  eventRecall: number;
  entityRecall: number;
  entityPrecision: number;
  fieldPrecision: number;
  fieldRecall: number;
  fieldF1: number;
  testPassRate: number;
  /** Seeded faults repaired (test passes, field as before) over faults seeded; null: none seeded. */
  fixerSuccess: number | null;
  /** The agent's own fixes on the build cases that made their action pass, over fixes tried. */
  agentFixes: number | null;
  /** Task cases passed over task cases run; null: none ran. */
  taskSuccess: number | null;
  wallMs: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface SuiteReport {
  header: {
    weft: string;
    node: string;
    startedAt: string;
    wallMs: number;
    runner: string;
    provider: string;
    model: string | null;
    concurrency: number;
    timeoutMs: number;
    seed: number;
    cases: readonly string[];
  };
  overall: Overall;
  cases: CaseResult[];
}

/** The overall metrics the gate compares, higher is better. */
export const GATED_METRICS = [
  'auth',
  'baseUrl',
  'actionCoverage',
  'schemaValidity',
  'eventRecall',
  'entityRecall',
  'entityPrecision',
  'fieldPrecision',
  'fieldRecall',
  'fieldF1',
  'testPassRate',
  'fixerSuccess',
  'taskSuccess',
] as const;
export type GatedMetric = (typeof GATED_METRICS)[number];

const ratio = (hits: number, total: number): number => (total === 0 ? 1 : hits / total);

export function aggregate(results: readonly CaseResult[]): Overall {
  const cases: Record<CaseStatus, number> = {
    ok: 0,
    failed: 0,
    error: 0,
    timeout: 0,
    skipped: 0,
    invalid: 0,
  };
  for (const r of results) cases[r.status] += 1;
  const scored = results.filter((r) => r.scores !== undefined);
  const sum = (f: (s: CaseScores, r: CaseResult) => number): number =>
    scored.reduce((n, r) => n + (r.scores === undefined ? 0 : f(r.scores, r)), 0);
  const fieldTp = sum((s) => s.fields.truePositives);
  const fieldPrecision = ratio(
    fieldTp,
    sum((s) => s.fields.proposed),
  );
  const fieldRecall = ratio(
    fieldTp,
    sum((s) => s.fields.gold),
  );
  const fixes = results.filter((r) => r.kind !== 'fixer').flatMap((r) => r.fixes);
  const seeded = results.flatMap((r) => r.seeded ?? []);
  const tasks = results.flatMap((r) => (r.task === undefined ? [] : [r.task]));
  const metric = (f: (m: CaseMetrics) => number): number =>
    results.reduce((n, r) => n + (r.metrics === undefined ? 0 : f(r.metrics)), 0);
  return {
    cases,
    scored: scored.length,
    auth: ratio(
      sum((s, r) => (s.auth.ok && r.status !== 'error' ? 1 : 0)),
      scored.length,
    ),
    baseUrl: ratio(
      sum((s, r) => (s.baseUrl.ok && r.status !== 'error' ? 1 : 0)),
      scored.length,
    ),
    actionCoverage: ratio(
      sum((s) => s.actions.covered),
      sum((s) => s.actions.expected),
    ),
    schemaValidity: ratio(
      sum((s) => s.actions.schemasValid),
      sum((s) => s.actions.schemasChecked),
    ),
    eventRecall: ratio(
      sum((s) => s.events.found),
      sum((s) => s.events.expected),
    ),
    entityRecall: ratio(
      sum((s) => s.entities.hits),
      sum((s) => s.entities.goldEntities),
    ),
    entityPrecision: ratio(
      sum((s) => s.entities.hits),
      sum((s) => s.entities.builtEntities),
    ),
    fieldPrecision,
    fieldRecall,
    fieldF1: f1Of(fieldPrecision, fieldRecall),
    testPassRate: ratio(
      sum((s) => s.tests.passed),
      sum((s) => s.tests.passed + s.tests.failed),
    ),
    fixerSuccess:
      seeded.length === 0 ? null : seeded.filter((f) => f.repaired).length / seeded.length,
    taskSuccess: tasks.length === 0 ? null : tasks.filter((t) => t.passed).length / tasks.length,
    agentFixes:
      fixes.length === 0 ? null : fixes.filter((f) => f.outcome === 'fixed').length / fixes.length,
    wallMs: metric((m) => m.wallMs),
    toolCalls: metric((m) => m.toolCalls),
    inputTokens: metric((m) => m.inputTokens),
    outputTokens: metric((m) => m.outputTokens),
    costUsd: metric((m) => m.costUsd),
  };
}

const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
const seededCount = (report: SuiteReport, repaired: boolean): number =>
  report.cases.flatMap((r) => r.seeded ?? []).filter((f) => !repaired || f.repaired).length;
const frac = (hits: number, total: number): string => (total === 0 ? '–' : `${hits}/${total}`);

/** The Markdown table: header, one row per case, the overall row, then failures. */
export function formatMarkdown(report: SuiteReport): string {
  const h = report.header;
  const o = report.overall;
  const lines = [
    `# Eval report ${h.startedAt}`,
    '',
    `weft ${h.weft} · node ${h.node} · runner **${h.runner}** · provider ${h.provider}${h.model === null ? '' : ` (${h.model})`} · concurrency ${h.concurrency} · timeout ${Math.round(h.timeoutMs / 1000)} s · seed ${h.seed} · ${Math.round(h.wallMs / 1000)} s wall`,
    '',
    '| case | status | auth | base URL | actions | schemas | events | entities R | entities P | fields P/R/F1 | tests | wall s | tool calls | tokens | cost $ |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.cases) {
    const s = r.scores;
    const m = r.metrics;
    if (s === undefined) {
      lines.push(`| ${r.id} | ${r.status} |${' |'.repeat(13)}`);
      continue;
    }
    lines.push(
      [
        '',
        r.id,
        r.status,
        s.auth.ok ? 'ok' : `${s.auth.got ?? '–'}≠${s.auth.expected}`,
        s.baseUrl.ok ? 'ok' : 'MISS',
        frac(s.actions.covered, s.actions.expected),
        frac(s.actions.schemasValid, s.actions.schemasChecked),
        frac(s.events.found, s.events.expected),
        frac(s.entities.hits, s.entities.goldEntities),
        frac(s.entities.hits, s.entities.builtEntities),
        s.fields.gold + s.fields.proposed === 0
          ? '–'
          : `${s.fields.precision.toFixed(2)}/${s.fields.recall.toFixed(2)}/${s.fields.f1.toFixed(2)}`,
        frac(s.tests.passed, s.tests.passed + s.tests.failed),
        m === undefined ? '' : (m.wallMs / 1000).toFixed(1),
        m === undefined ? '' : String(m.toolCalls),
        m === undefined ? '' : String(m.inputTokens + m.outputTokens),
        m === undefined ? '' : m.costUsd.toFixed(4),
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
  lines.push(
    `| **overall** | ${o.cases.ok} ok / ${o.scored} scored | ${pct(o.auth)} | ${pct(o.baseUrl)} | ${pct(o.actionCoverage)} | ${pct(o.schemaValidity)} | ${pct(o.eventRecall)} | ${pct(o.entityRecall)} | ${pct(o.entityPrecision)} | ${o.fieldPrecision.toFixed(2)}/${o.fieldRecall.toFixed(2)}/${o.fieldF1.toFixed(2)} | ${pct(o.testPassRate)} | ${(o.wallMs / 1000).toFixed(0)} | ${o.toolCalls} | ${o.inputTokens + o.outputTokens} | ${o.costUsd.toFixed(4)} |`,
    '',
    `Fixer success on seeded faults: ${o.fixerSuccess === null ? 'none seeded' : `${pct(o.fixerSuccess)} (${seededCount(report, true)}/${seededCount(report, false)})`}; the agent's own fixes on the build cases: ${o.agentFixes === null ? 'none attempted' : pct(o.agentFixes)}. Cases: ${Object.entries(
      o.cases,
    )
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}.`,
  );
  const fixer = report.cases.filter((r) => r.seeded !== undefined);
  if (fixer.length > 0) {
    lines.push('', '## Fixer cases (seeded faults)', '', '| case | status | repaired | faults |');
    lines.push('|---|---|---|---|');
    for (const r of fixer) {
      const faults = (r.seeded ?? []).map(
        (f) =>
          `${f.kind} ${f.action}${f.repaired ? ' ✓' : ` ✗ (${f.passes ? '' : 'test fails'}${!f.passes && !f.restored ? ', ' : ''}${f.restored ? '' : 'field differs'})`}`,
      );
      lines.push(
        `| ${r.id} | ${r.status} | ${(r.seeded ?? []).filter((f) => f.repaired).length}/${(r.seeded ?? []).length} | ${faults.join('; ')}${r.notes.length > 0 ? `; ${r.notes.join('; ')}` : ''} |`,
      );
    }
  }
  const tasks = report.cases.filter((r) => r.task !== undefined);
  if (tasks.length > 0) {
    lines.push(
      '',
      `## Task cases (Workflow Agent): ${o.taskSuccess === null ? '–' : pct(o.taskSuccess)} passed`,
      '',
      '| case | status | checks | problems |',
      '|---|---|---|---|',
    );
    for (const r of tasks)
      lines.push(
        `| ${r.id} | ${r.status} | ${r.task?.checks ?? 0} | ${(r.task?.problems ?? []).join('; ').slice(0, 300) || '–'} |`,
      );
  }
  const problems = report.cases.filter((r) => r.status !== 'ok');
  if (problems.length > 0) {
    lines.push('', '## Not ok', '');
    for (const r of problems)
      lines.push(`- **${r.id}** (${r.status}): ${(r.error ?? '').split('\n')[0]?.slice(0, 300)}`);
  }
  const misses = report.cases.filter(
    (r) =>
      r.scores !== undefined &&
      (r.scores.events.missing.length > 0 ||
        r.scores.fields.missed.length > 0 ||
        r.scores.fields.wrong.length > 0 ||
        r.scores.tests.failed > 0 ||
        r.scores.entities.verdicts.some((v) => !v.ok)),
  );
  if (misses.length > 0) {
    lines.push('', '## Misses', '');
    for (const r of misses) {
      const s = r.scores;
      if (s === undefined) continue;
      const parts: string[] = [];
      const badEntities = s.entities.verdicts.filter((v) => !v.ok);
      if (badEntities.length > 0)
        parts.push(
          `entities: ${badEntities
            .map(
              (v) =>
                `${v.entity} (${!v.gold ? 'not in gold' : !v.built ? 'not mapped' : `other schema via ${v.action ?? '?'}, overlap ${v.overlap?.ofGold.toFixed(2)}/${v.overlap?.ofRecord.toFixed(2)}`})`,
            )
            .join(', ')}`,
        );
      const failed = Object.entries(s.tests.failures);
      if (failed.length > 0)
        parts.push(`tests failed: ${failed.map(([k, n]) => `${n} ${k}`).join(', ')}`);
      if (s.events.missing.length > 0)
        parts.push(`events missing: ${s.events.missing.slice(0, 8).join(', ')}`);
      if (s.fields.missed.length > 0)
        parts.push(`fields missed: ${s.fields.missed.slice(0, 12).join(', ')}`);
      if (s.fields.wrong.length > 0)
        parts.push(`fields wrong: ${s.fields.wrong.slice(0, 12).join(', ')}`);
      lines.push(`- **${r.id}**: ${parts.join('; ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
