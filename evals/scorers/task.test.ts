// The task scorer: a task passes only when the agent's verdict, the plan's shape and every
// phase's effect on the fake apps are as expected; each miss is named.
import { describe, expect, it } from 'vitest';
import { scoreTask, type TaskExpectation } from './task.ts';

const EXPECTED: TaskExpectation = {
  status: 'published',
  shape: 'schedule_sync',
  effects: {
    first: { 'crm.deals': { count: 1, include: [{ title: 'Order SO-1', amount: 42.5 }] } },
    again: { 'crm.deals': { count: 0 } },
  },
};

describe('the task scorer', () => {
  it('passes when the verdict, the shape and every phase are as expected', () => {
    const score = scoreTask({
      expected: EXPECTED,
      observed: {
        status: 'published',
        shape: 'schedule_sync',
        added: {
          first: {
            'crm.deals': [{ id: 'd_1', title: 'Order SO-1', amount: 42.5, currency: 'EUR' }],
          },
          again: { 'crm.deals': [] },
        },
      },
    });
    expect(score).toEqual({ passed: true, checks: 5, problems: [] });
  });

  it('names each miss: a duplicate on the second run, a wrong field, another shape', () => {
    const score = scoreTask({
      expected: EXPECTED,
      observed: {
        status: 'published',
        shape: 'webhook_upsert',
        added: {
          first: { 'crm.deals': [{ title: 'Order SO-1', amount: '42.50' }] },
          again: { 'crm.deals': [{ title: 'Order SO-1', amount: 42.5 }] },
        },
      },
    });
    expect(score.passed).toBe(false);
    expect(score.problems).toEqual([
      'shape webhook_upsert, expected schedule_sync',
      'first: no crm.deals record with {"title":"Order SO-1","amount":42.5}',
      'again: 1 crm.deals added, expected 0',
    ]);
  });

  it('fails a run that never got to act (nothing published) and an expectation that checks nothing', () => {
    const unpublished = scoreTask({
      expected: EXPECTED,
      observed: { status: 'tests_failed', shape: 'schedule_sync', added: {} },
    });
    expect(unpublished.passed).toBe(false);
    expect(unpublished.problems[0]).toBe('status tests_failed, expected published');
    expect(unpublished.problems).toContain('first: 0 crm.deals added, expected 1');
    expect(
      scoreTask({ expected: {}, observed: { status: 'published', shape: null, added: {} } }).passed,
    ).toBe(false);
  });
});
