import type { AlertCondition } from '../../domain/alert.ts';

/** What the executions finished in a rule's window add up to. */
export interface WindowStats {
  finished: number;
  failed: number;
  avgMs: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** The value a condition watches; null when there is nothing to judge (no executions). */
export function valueOf(condition: AlertCondition, stats: WindowStats): number | null {
  switch (condition) {
    case 'error_rate':
      return stats.finished === 0 ? null : (stats.failed / stats.finished) * 100;
    case 'latency_p99':
      return stats.p99Ms;
    case 'latency_p95':
      return stats.p95Ms;
    case 'latency_avg':
      return stats.avgMs;
    case 'throughput':
      return stats.finished;
    case 'failure_count':
      return stats.failed;
  }
}

/** What the evaluator remembers of a rule between evaluations (times in ms). */
export interface RuleState {
  /** The open incident, if any, and whether its opening has been notified yet. */
  incident: { notified: boolean } | null;
  lastBreachAt: number | null;
  lastNotifiedAt: number | null;
}

export interface Decision {
  /** Open an incident now. */
  open: boolean;
  /** Resolve the open incident now. */
  resolve: boolean;
  notify: 'opened' | 'resolved' | null;
  state: RuleState;
}

/**
 * One evaluation of a rule. An incident opens when the value goes above the threshold and
 * resolves once the value is below it and has not been above it for a whole window (a value
 * sitting exactly at the threshold changes nothing): a value flapping around the threshold keeps
 * one incident open instead of opening and resolving it on every evaluation. Notifications are
 * limited to one per window per rule; an opening held back by the limit is sent on the first
 * evaluation after it, and an incident whose opening was told resolves only when its resolution
 * can be told too.
 */
export function decide({
  value,
  threshold,
  windowMs,
  now,
  state,
}: {
  value: number | null;
  threshold: number;
  windowMs: number;
  now: number;
  state: RuleState;
}): Decision {
  const breach = value !== null && value > threshold;
  const lastBreachAt = breach ? now : state.lastBreachAt;
  const mayNotify = state.lastNotifiedAt === null || now - state.lastNotifiedAt >= windowMs;
  const told = (kind: 'opened' | 'resolved') => ({ notify: kind, lastNotifiedAt: now }) as const;
  const quiet = { notify: null, lastNotifiedAt: state.lastNotifiedAt } as const;

  if (state.incident === null) {
    if (!breach) {
      return { open: false, resolve: false, notify: null, state: { ...state, lastBreachAt } };
    }
    const n = mayNotify ? told('opened') : quiet;
    return {
      open: true,
      resolve: false,
      notify: n.notify,
      state: { incident: { notified: mayNotify }, lastBreachAt, lastNotifiedAt: n.lastNotifiedAt },
    };
  }

  const below = value === null || value < threshold;
  const calm = lastBreachAt === null || now - lastBreachAt >= windowMs;
  if (below && calm && (!state.incident.notified || mayNotify)) {
    const n = state.incident.notified ? told('resolved') : quiet;
    return {
      open: false,
      resolve: true,
      notify: n.notify,
      state: { incident: null, lastBreachAt, lastNotifiedAt: n.lastNotifiedAt },
    };
  }
  if (!state.incident.notified && mayNotify) {
    return {
      open: false,
      resolve: false,
      notify: 'opened',
      state: { incident: { notified: true }, lastBreachAt, lastNotifiedAt: now },
    };
  }
  return { open: false, resolve: false, notify: null, state: { ...state, lastBreachAt } };
}
