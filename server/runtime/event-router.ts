import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isUniqueViolation, type Database, type Listener } from '../db/database.ts';
import * as executionsRepo from '../db/repositories/executions.repo.ts';
import * as triggersRepo from '../db/repositories/triggers.repo.ts';
import type {
  EventRecord,
  NewEvent,
  RouteRecord,
  TriggerRecord,
} from '../db/repositories/triggers.repo.ts';
import { WebhookConfigSchema, type TriggerType } from '../domain/trigger.ts';
import { systemTenant } from '../domain/tenant.ts';
import type { TriggerKind } from '../domain/workflow.ts';
import type { WorkflowRunner } from './runner.ts';
import { dedupKeyOf, matches } from '../modules/triggers/filters.ts';
import { TRIGGERS_CHANNEL, type LoadedTrigger } from '../modules/triggers/types.ts';

/**
 * How long the process that accepted an event may take to route it before the sweeper does:
 * longer than the longest Instant run (2 min), so a slow route is never run twice.
 */
export const ROUTING_LEASE_MS = 150_000;

const TRIGGERED_BY: Record<TriggerType, TriggerKind> = {
  webhook: 'webhook',
  scheduler: 'scheduler',
  app_event: 'app-event',
};

/** A new pending event of `trigger` (the caller inserts it), received now. */
export function newEvent({
  trigger,
  payload,
  headers = {},
  ...fields
}: {
  trigger: Pick<TriggerRecord, 'orgId' | 'id' | 'type' | 'customerId'>;
  payload: unknown;
  headers?: Record<string, string>;
} & Partial<
  Pick<NewEvent, 'webhookId' | 'tickAt' | 'verdict' | 'leaseUntil' | 'error'>
>): NewEvent {
  return {
    id: randomUUID(),
    orgId: trigger.orgId,
    triggerId: trigger.id,
    source: trigger.type,
    customerId: trigger.customerId,
    headers,
    payload,
    dedupKey: null,
    webhookId: null,
    tickAt: null,
    verdict: 'pending',
    receivedAt: new Date(),
    leaseUntil: null,
    ...fields,
  };
}

/** The execution id of a route's run of an event: re-routing the same event finds it again. */
export function routeExecutionId({
  eventId,
  routeId,
  attempt,
}: {
  eventId: string;
  routeId: string;
  attempt: number;
}): string {
  const h = createHash('sha256').update(`${eventId}|${routeId}|${attempt}`).digest('hex');
  // A version-4-shaped UUID (the variant and version bits set) from the hash.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface EventRouter {
  /** Loads a trigger by id alone (the public hook endpoint), from cache when it can. */
  load(orgId: string | null, triggerId: string): Promise<LoadedTrigger | null>;
  /**
   * Persists events (one group-committed INSERT per org for all events arriving together),
   * marking duplicates of the trigger's dedup key; resolves once they are durable. Returns the
   * ids written (a replayed webhook-id is not).
   */
  accept(events: { trigger: LoadedTrigger; event: NewEvent }[]): Promise<Set<string>>;
  /**
   * Routes an event in the background. Only events this process holds the routing lease of
   * (`leaseUntil` set by `accept`, or by the caller that inserted them): the rest are left to the
   * pending sweeper, so one event is never routed by two processes at once.
   */
  dispatch(trigger: LoadedTrigger, event: EventRecord & { leaseUntil: Date | null }): void;
  /**
   * Routes one event now and settles its verdict. `recovering`: the event may have been partly
   * routed before (a crash, a sweep): executions that exist already are not started again.
   */
  route(
    trigger: LoadedTrigger,
    event: EventRecord,
    options?: { recovering?: boolean },
  ): Promise<void>;
  close(): Promise<void>;
}

export async function createEventRouter({
  db,
  runner,
  logger,
  concurrency = 64,
  maxBacklog = 5_000,
}: {
  db: Database;
  runner: () => Promise<WorkflowRunner>;
  logger: Logger;
  /** Routes run at once. */
  concurrency?: number;
  /** Events held in memory to route (running, queued or accepted): beyond, the sweeper's. */
  maxBacklog?: number;
}): Promise<EventRouter> {
  const cache = new Map<string, { loaded: LoadedTrigger; at: number }>();
  const listener: Listener = await db.listen(TRIGGERS_CHANNEL, {
    onMessage: (id) => cache.delete(id),
    onReset: () => cache.clear(),
  });

  async function loadFresh(orgId: string | null, triggerId: string): Promise<LoadedTrigger | null> {
    let org = orgId;
    if (org === null) {
      org = await triggersRepo.findHookOrg(db, { triggerId });
      if (org === null) return null;
    }
    return db.tenant({ orgId: org }, async (sql) => {
      const record = await triggersRepo.find(sql, { id: triggerId });
      if (!record) return null;
      return {
        record,
        routes: await triggersRepo.listRoutes(sql, { triggerIds: [triggerId] }),
        webhook: record.type === 'webhook' ? WebhookConfigSchema.parse(record.config) : null,
      };
    });
  }

  // Group commit of accepted events.
  type Pending = {
    items: { trigger: LoadedTrigger; event: NewEvent }[];
    resolve: (ids: Set<string>) => void;
    reject: (error: unknown) => void;
  };
  let queue: Pending[] = [];
  let writing = 0;
  const writeBatch = async (batch: Pending[]) => {
    const byOrg = new Map<string, Pending[]>();
    for (const p of batch) {
      const orgId = p.items[0]?.event.orgId;
      if (orgId === undefined) {
        p.resolve(new Set());
        continue;
      }
      byOrg.set(orgId, [...(byOrg.get(orgId) ?? []), p]);
    }
    await Promise.all(
      [...byOrg].map(async ([orgId, pendings]) => {
        try {
          const written = await db.tenant({ orgId }, async (sql) => {
            const events = pendings.flatMap((p) => p.items);
            // Duplicates: an earlier event with the same key inside the window, or one earlier in
            // this very batch.
            const seen = new Set<string>();
            for (const { trigger, event } of events) {
              if (event.dedupKey === null) continue;
              const dedup = trigger.webhook?.dedup;
              if (!dedup) continue;
              const key = `${event.triggerId}|${event.dedupKey}`;
              if (
                seen.has(key) ||
                (await triggersRepo.seenDedupKey(sql, {
                  triggerId: event.triggerId,
                  dedupKey: event.dedupKey,
                  windowSeconds: dedup.windowSeconds,
                  before: event.receivedAt,
                }))
              ) {
                event.verdict = 'duplicate';
              } else {
                seen.add(key);
              }
            }
            return triggersRepo.insertEvents(
              sql,
              events.map((e) => e.event),
            );
          });
          const ids = new Set(written);
          for (const p of pendings) p.resolve(ids);
        } catch (error) {
          for (const p of pendings) p.reject(error);
        }
      }),
    );
  };
  const pump = () => {
    while (writing < 2 && queue.length > 0) {
      const batch = queue.slice(0, 200);
      queue = queue.slice(batch.length);
      writing++;
      void writeBatch(batch).finally(() => {
        writing--;
        pump();
      });
    }
  };

  // Background routing, bounded: `concurrency` routes at once from an in-memory backlog; what
  // does not fit stays pending for the sweeper. `reserved` counts events accepted with a lease
  // but not dispatched yet.
  let inFlight = 0;
  let reserved = 0;
  const backlog: { trigger: LoadedTrigger; event: EventRecord }[] = [];
  const running = new Set<Promise<void>>();
  const drain = (): void => {
    while (inFlight < concurrency && backlog.length > 0) {
      const next = backlog.shift() as { trigger: LoadedTrigger; event: EventRecord };
      inFlight++;
      const done = route(next.trigger, next.event)
        .catch((error: unknown) =>
          logger.error({ err: error, eventId: next.event.id }, 'could not route an event'),
        )
        .finally(() => {
          inFlight--;
          running.delete(done);
          drain();
        });
      running.add(done);
    }
  };

  async function route(
    trigger: LoadedTrigger,
    event: EventRecord,
    { recovering = false }: { recovering?: boolean } = {},
  ): Promise<void> {
    const orgId = trigger.record.orgId;
    if (event.verdict === 'duplicate') return;
    const input = { body: event.payload, headers: event.headers };
    const matched: RouteRecord[] = [];
    for (const r of trigger.routes) {
      if (await matches({ filter: r.filter, input })) matched.push(r);
    }
    if (matched.length === 0 || trigger.record.status !== 'active') {
      await db.tenant({ orgId }, (sql) =>
        triggersRepo.settleEvent(sql, {
          id: event.id,
          verdict: 'filtered_out',
          matchedRoutes: [],
          executions: [],
          error: trigger.record.status === 'active' ? null : 'the trigger is inactive',
          deadLetter: false,
        }),
      );
      return;
    }
    const workflows = await runner();
    const executions: { routeId: string; executionId: string; status: string }[] = [];
    const failures: string[] = [];
    const runRoute = async (r: RouteRecord) => {
      const executionId = routeExecutionId({
        eventId: event.id,
        routeId: r.id,
        attempt: event.attempts,
      });
      try {
        if (recovering) {
          const status = await db.tenant({ orgId }, (sql) =>
            executionsRepo.findStatus(sql, { id: executionId }),
          );
          if (status !== null) {
            executions.push({ routeId: r.id, executionId, status });
            return;
          }
        }
        const summary = await workflows.start({
          tenant: systemTenant({
            orgId,
            actorId: event.id,
            label: 'trigger',
            permissions: ['workflows:read', 'workflows:execute'],
            requestId: event.id,
          }),
          ref: r.workflowId,
          environment: r.environment,
          ...(event.customerId === null ? {} : { customerId: event.customerId }),
          input: trigger.record.type === 'scheduler' ? (r.payload ?? null) : event.payload,
          headers: { ...event.headers, ...r.headers },
          triggeredBy: TRIGGERED_BY[trigger.record.type],
          trigger: { triggerId: trigger.record.id, eventId: event.id, routeId: r.id },
          executionId,
        });
        executions.push({ routeId: r.id, executionId, status: summary.status });
        if (summary.status === 'failed' || summary.status === 'timeout') {
          failures.push(`${r.workflowSlug}: ${summary.error?.message ?? summary.status}`);
        }
      } catch (error) {
        if (isUniqueViolation(error)) {
          executions.push({ routeId: r.id, executionId, status: 'started' });
          return;
        }
        failures.push(
          `${r.workflowSlug}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    };
    const mode = trigger.webhook?.mode ?? 'parallel';
    if (mode === 'sequential') for (const r of matched) await runRoute(r);
    else await Promise.all(matched.map(runRoute));
    await db.tenant({ orgId }, (sql) =>
      triggersRepo.settleEvent(sql, {
        id: event.id,
        verdict: failures.length > 0 ? 'failed' : 'routed',
        matchedRoutes: matched.map((r) => r.id),
        executions,
        error: failures.length > 0 ? failures.join('; ').slice(0, 2000) : null,
        deadLetter: failures.length > 0,
      }),
    );
  }

  return {
    async load(orgId, triggerId) {
      const cached = cache.get(triggerId);
      if (cached && listener.connected() && Date.now() - cached.at < 60_000) {
        return orgId === null || cached.loaded.record.orgId === orgId ? cached.loaded : null;
      }
      const loaded = await loadFresh(orgId, triggerId);
      if (loaded && listener.connected()) {
        if (cache.size > 10_000) cache.clear();
        cache.set(triggerId, { loaded, at: Date.now() });
      }
      return loaded;
    },
    async accept(items) {
      const leaseUntil = new Date(Date.now() + ROUTING_LEASE_MS);
      for (const { trigger, event } of items) {
        if (event.verdict === 'rejected') {
          event.leaseUntil = null;
          continue;
        }
        if (inFlight + backlog.length + reserved < maxBacklog) {
          event.leaseUntil = leaseUntil;
          reserved++;
        } else {
          event.leaseUntil = null;
        }
        const dedup = trigger.webhook?.dedup;
        if (dedup && event.dedupKey === null) {
          event.dedupKey = await dedupKeyOf({
            path: dedup.path,
            input: { body: event.payload, headers: event.headers },
          });
        }
      }
      const held = items.filter((i) => i.event.leaseUntil !== null).length;
      try {
        const written = await new Promise<Set<string>>((resolve, reject) => {
          queue.push({ items, resolve, reject });
          pump();
        });
        // Reservations of events that were not written (a replayed webhook-id) are released.
        for (const i of items) {
          if (i.event.leaseUntil !== null && !written.has(i.event.id)) reserved--;
        }
        return written;
      } catch (error) {
        reserved -= held;
        throw error;
      }
    },
    dispatch(trigger, event) {
      if (event.leaseUntil === null) return; // not ours: the pending sweeper routes it
      if (reserved > 0) reserved--;
      backlog.push({ trigger, event });
      drain();
    },
    route,
    async close() {
      // Queued events keep their lease and are routed by a sweeper once it ends.
      backlog.length = 0;
      await Promise.allSettled([...running]);
      await listener.close();
    },
  };
}
