import { describe, expect, it } from 'vitest';
import { decide, valueOf, type RuleState, type WindowStats } from './evaluate.ts';

const WINDOW = 60_000;
const fresh: RuleState = { incident: null, lastBreachAt: null, lastNotifiedAt: null };

/** Feeds values one evaluation apart (every `stepMs`) and records what happened. */
function run(values: readonly (number | null)[], { threshold = 5, stepMs = 10_000 } = {}) {
  let state = fresh;
  const events: { at: number; open: boolean; resolve: boolean; notify: string | null }[] = [];
  values.forEach((value, i) => {
    const now = 1_000_000 + i * stepMs;
    const d = decide({ value, threshold, windowMs: WINDOW, now, state });
    state = d.state;
    events.push({ at: now, open: d.open, resolve: d.resolve, notify: d.notify });
  });
  return { events, state };
}

describe('decide', () => {
  it('opens and notifies when the value goes above the threshold', () => {
    const { events, state } = run([1, 6]);
    expect(events[0]).toMatchObject({ open: false, notify: null });
    expect(events[1]).toMatchObject({ open: true, notify: 'opened' });
    expect(state.incident).toEqual({ notified: true });
  });

  it('does not open at the threshold itself, nor without data', () => {
    const { events } = run([5, null, 5, 0]);
    expect(events.some((e) => e.open || e.notify)).toBe(false);
  });

  it('resolves once the value has stayed below the threshold for a whole window', () => {
    // Breach at step 0; steps 1..5 are 10..50 s after it (inside the window), step 6 is 60 s.
    const { events } = run([9, 1, 1, 1, 1, 1, 1]);
    expect(events.slice(1, 6).every((e) => !e.resolve)).toBe(true);
    expect(events[6]).toMatchObject({ resolve: true, notify: 'resolved' });
  });

  it('keeps an incident open while the value sits exactly at the threshold', () => {
    const { events, state } = run([9, 5, 5, 5, 5, 5, 5, 5, 5]);
    expect(events.filter((e) => e.resolve)).toHaveLength(0);
    expect(state.incident).not.toBeNull();
  });

  it('a value oscillating around the threshold notifies at most once per window', () => {
    // 5.1, 4.9, 5.1, … every 10 s for 10 minutes.
    const values = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 5.1 : 4.9));
    const { events } = run(values);
    const told = events.filter((e) => e.notify !== null);
    expect(told).toHaveLength(1);
    expect(events.filter((e) => e.open)).toHaveLength(1);
    // And across every window-long slice of time, whatever the oscillation period.
    for (const period of [1, 2, 3, 5, 7, 11]) {
      const flapping = Array.from({ length: 120 }, (_, i) =>
        Math.floor(i / period) % 2 === 0 ? 5.1 : 4.9,
      );
      const notes = run(flapping, { stepMs: 7_000 }).events.filter((e) => e.notify !== null);
      for (const a of notes) {
        const inWindow = notes.filter((b) => b.at >= a.at && b.at < a.at + WINDOW);
        expect(inWindow).toHaveLength(1);
      }
    }
  });

  it('holds back an opening right after a resolution and sends it once the window has passed', () => {
    // Breach, a window of calm (resolved, told), then an immediate new breach.
    const { events } = run([9, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9]);
    expect(events[6]).toMatchObject({ resolve: true, notify: 'resolved' });
    expect(events[7]).toMatchObject({ open: true, notify: null });
    const later = events.slice(8).find((e) => e.notify !== null);
    expect(later).toMatchObject({ notify: 'opened', open: false });
    expect((later?.at ?? 0) - (events[6]?.at ?? 0)).toBeGreaterThanOrEqual(WINDOW);
  });

  it('an incident whose opening was held back resolves without telling anyone', () => {
    let state: RuleState = { incident: null, lastBreachAt: null, lastNotifiedAt: 0 };
    let d = decide({ value: 9, threshold: 5, windowMs: WINDOW, now: 10_000, state });
    expect(d).toMatchObject({ open: true, notify: null });
    state = d.state;
    // Still breaching half a window later, when the limit has passed: the opening goes out.
    const told = decide({ value: 9, threshold: 5, windowMs: WINDOW, now: 10_000 + WINDOW, state });
    expect(told).toMatchObject({ open: false, resolve: false, notify: 'opened' });
    // Had it calmed down for a window before anyone was told, it closes without a word.
    d = decide({ value: 1, threshold: 5, windowMs: WINDOW, now: 10_000 + WINDOW, state });
    expect(d).toMatchObject({ resolve: true, notify: null });
    expect(d.state.lastNotifiedAt).toBe(0);
  });
});

describe('valueOf', () => {
  const stats: WindowStats = { finished: 20, failed: 3, avgMs: 120, p95Ms: 400, p99Ms: 900 };
  it('reads each condition from the window', () => {
    expect(valueOf('error_rate', stats)).toBe(15);
    expect(valueOf('failure_count', stats)).toBe(3);
    expect(valueOf('throughput', stats)).toBe(20);
    expect(valueOf('latency_avg', stats)).toBe(120);
    expect(valueOf('latency_p95', stats)).toBe(400);
    expect(valueOf('latency_p99', stats)).toBe(900);
  });
  it('has no error rate or latency without executions, but counts zero', () => {
    const empty: WindowStats = { finished: 0, failed: 0, avgMs: null, p95Ms: null, p99Ms: null };
    expect(valueOf('error_rate', empty)).toBeNull();
    expect(valueOf('latency_p99', empty)).toBeNull();
    expect(valueOf('throughput', empty)).toBe(0);
    expect(valueOf('failure_count', empty)).toBe(0);
  });
});
