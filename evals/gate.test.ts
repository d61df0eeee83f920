// The CI gate: a lowered score fails it, an equal or better one passes (and names the command
// that records the new baseline), a run with another runner or provider is not compared; and a
// small real suite run (two cases, the offline runner, through the admin MCP tools) scores what
// the committed baseline recorded for those cases.
import { describe, expect, it } from 'vitest';
import { baselineOf, checkGate, formatGate, readBaseline, UPDATE_COMMAND } from './gate.ts';
import { aggregate, GATED_METRICS, type SuiteReport } from './report.ts';
import { runSuite } from './run.ts';

async function committed(): Promise<{
  baseline: Awaited<ReturnType<typeof readBaseline>>;
  report: SuiteReport;
}> {
  const baseline = await readBaseline();
  const overall = { ...aggregate([]), ...baseline.metrics };
  const report: SuiteReport = {
    header: {
      weft: 'test',
      node: process.version,
      startedAt: new Date(0).toISOString(),
      wallMs: 0,
      runner: baseline.runner,
      provider: baseline.provider,
      model: null,
      concurrency: 1,
      timeoutMs: 1,
      seed: 1,
      cases: [],
    },
    overall,
    cases: [],
  };
  return { baseline, report };
}

describe('the eval gate', () => {
  it('passes a report equal to the committed baseline', async () => {
    const { baseline, report } = await committed();
    const result = checkGate({ report, baseline });
    expect(result).toMatchObject({
      ok: true,
      broken: [],
      drops: [],
      improvements: [],
      mismatch: null,
    });
    expect(formatGate(result)).toBe('gate: passed');
  });

  it('fails a doctored report whose field F1 dropped beyond the tolerance, and names the metric', async () => {
    const { baseline, report } = await committed();
    const doctored = {
      ...report,
      overall: { ...report.overall, fieldF1: report.overall.fieldF1 - baseline.tolerance - 0.01 },
    };
    const result = checkGate({ report: doctored, baseline });
    expect(result.ok).toBe(false);
    expect(result.drops.map((d) => d.metric)).toEqual(['fieldF1']);
    expect(formatGate(result)).toMatch(/fieldF1 dropped from/);
  });

  it('tolerates a drop within the tolerance', async () => {
    const { baseline, report } = await committed();
    const within = {
      ...report,
      overall: {
        ...report.overall,
        eventRecall: report.overall.eventRecall - baseline.tolerance / 2,
      },
    };
    expect(checkGate({ report: within, baseline }).ok).toBe(true);
  });

  it('fails every metric a crashed run zeroes', async () => {
    const { baseline, report } = await committed();
    const zero = {
      ...report,
      overall: { ...report.overall, ...Object.fromEntries(GATED_METRICS.map((m) => [m, 0])) },
    };
    const result = checkGate({ report: zero, baseline });
    expect(result.ok).toBe(false);
    expect(result.drops.length).toBe(
      GATED_METRICS.filter((m) => (baseline.metrics[m] ?? 0) > baseline.tolerance).length,
    );
  });

  it('fails a run where a case did not finish, even when the scores of the rest went up', async () => {
    const { baseline, report } = await committed();
    const crashed = {
      ...report,
      overall: { ...report.overall, entityRecall: 1 },
      cases: [
        { id: 'petstore-v3', kind: 'spec', status: 'ok' as const, fixes: [], notes: [] },
        {
          id: 'stripe',
          kind: 'spec',
          status: 'error' as const,
          error: 'the shard process exited with code null',
          fixes: [],
          notes: [],
        },
        { id: 'slow', kind: 'spec', status: 'timeout' as const, fixes: [], notes: [] },
      ],
    };
    const result = checkGate({ report: crashed, baseline });
    expect(result.ok).toBe(false);
    expect(result.broken.map((b) => [b.id, b.status])).toEqual([
      ['stripe', 'error'],
      ['slow', 'timeout'],
    ]);
    expect(formatGate(result)).toMatch(/case stripe did not finish \(error\): the shard process/);
    expect(formatGate(result)).not.toContain('gate: passed');
  });

  it('reports an improvement with the command that records it', async () => {
    const { baseline, report } = await committed();
    const better = {
      ...report,
      overall: { ...report.overall, entityRecall: Math.min(1, report.overall.entityRecall + 0.05) },
    };
    const result = checkGate({
      report: better,
      baseline: {
        ...baseline,
        metrics: { ...baseline.metrics, entityRecall: report.overall.entityRecall - 0.05 },
      },
    });
    expect(result.ok).toBe(true);
    expect(result.improvements.map((i) => i.metric)).toEqual(['entityRecall']);
    expect(formatGate(result)).toContain(UPDATE_COMMAND);
  });

  it('does not compare a run of another runner or provider', async () => {
    const { baseline, report } = await committed();
    const other = { ...report, header: { ...report.header, provider: 'openai' } };
    expect(checkGate({ report: other, baseline })).toMatchObject({
      ok: false,
      mismatch: expect.stringMatching(/openai/),
    });
  });
});

describe('a suite run', () => {
  it(
    'builds two cases end to end and scores them as the baseline recorded',
    { timeout: 240_000 },
    async () => {
      const baseline = await readBaseline();
      const report = await runSuite({
        cases: ['petstore-v3', 'freshdesk', 'no-such-case'],
        runner: baseline.runner === 'agent' ? 'agent' : 'interim',
        concurrency: 1,
      });
      expect(report.cases.map((c) => [c.id, c.status])).toEqual([
        ['freshdesk', 'ok'],
        ['petstore-v3', 'ok'],
      ]);
      const recorded = baselineOf({ report }).cases;
      for (const id of ['freshdesk', 'petstore-v3'])
        expect(recorded[id]).toEqual(baseline.cases[id]);
      expect(report.header).toMatchObject({
        runner: baseline.runner,
        provider: 'offline',
        seed: 1,
      });
    },
  );
});
