import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { listRegisteredOrgs } from '../db/repositories/orgs.repo.ts';
import * as schedulesRepo from '../db/repositories/trigger-schedules.repo.ts';
import * as triggersRepo from '../db/repositories/triggers.repo.ts';
import type { EventRecord, NewEvent } from '../db/repositories/triggers.repo.ts';
import { AppEventConfigSchema } from '../domain/trigger.ts';
import { isAppError } from '../errors.ts';
import { pollOnce } from './app-events/app-events.ts';
import { startScheduler } from './scheduler/ticker.ts';
import { repeat } from '../repeat.ts';
import type { ConnectionRuntime } from '../modules/connections/runtime.ts';
import { appEventTenant } from '../modules/triggers/app-event-verify.ts';
import { newEvent, ROUTING_LEASE_MS, type EventRouter } from './event-router.ts';

/** Events pending this long were not routed by the process that accepted them. */
const PENDING_AFTER_MS = 5_000;
const LEASE_MS = ROUTING_LEASE_MS;
const BATCH = 500;
const PARALLEL = 16;

/**
 * Routes events left pending: the accepting process stopped before routing them, or had more in
 * flight than it routes at once. Every worker runs it; claims keep two from routing one event.
 */
export async function routePending({
  db,
  router,
}: {
  db: Database;
  router: EventRouter;
}): Promise<number> {
  let routed = 0;
  for (const orgId of await db.owner((sql) => listRegisteredOrgs(sql))) {
    for (;;) {
      const events = await db.tenant({ orgId }, (sql) =>
        triggersRepo.claimPending(sql, {
          olderThanMs: PENDING_AFTER_MS,
          leaseMs: LEASE_MS,
          limit: BATCH,
        }),
      );
      if (events.length === 0) break;
      for (let i = 0; i < events.length; i += PARALLEL) {
        await Promise.all(
          events.slice(i, i + PARALLEL).map(async (event) => {
            const trigger = await router.load(orgId, event.triggerId);
            if (trigger) await router.route(trigger, event, { recovering: true });
          }),
        );
      }
      routed += events.length;
      if (events.length < BATCH) break;
    }
  }
  return routed;
}

/** Runs `routePending` every `intervalMs` until closed. */
export function startPendingSweeper({
  db,
  router,
  logger,
  intervalMs = 2_000,
}: {
  db: Database;
  router: EventRouter;
  logger: Logger;
  intervalMs?: number;
}): { close(): Promise<void> } {
  return repeat({
    intervalMs,
    task: async () => {
      const routed = await routePending({ db, router });
      if (routed > 0) logger.info({ routed }, 'routed pending events');
    },
    onError: (error) => logger.error({ err: error }, 'routing pending events failed'),
  });
}

type Fired =
  | { kind: 'event'; orgId: string; triggerId: string; event: NewEvent }
  | { kind: 'poll'; orgId: string; triggerId: string };

function asRecord(event: NewEvent): EventRecord & { leaseUntil: Date | null } {
  return {
    ...event,
    matchedRoutes: [],
    executions: [],
    error: null,
    deadLetter: false,
    attempts: 0,
    routedAt: null,
  };
}

/**
 * Polls an app event once: new or changed records become events (one per record), routed at
 * once. The poll's state (baseline, cursor) lives with the trigger's schedule.
 */
export async function pollAppEvent({
  db,
  runtime,
  router,
  orgId,
  triggerId,
}: {
  db: Database;
  runtime: ConnectionRuntime;
  router: EventRouter;
  orgId: string;
  triggerId: string;
}): Promise<number> {
  const trigger = await router.load(orgId, triggerId);
  if (!trigger || trigger.record.connectionId === null) return 0;
  const config = AppEventConfigSchema.parse(trigger.record.config);
  const row = await db.tenant({ orgId }, (sql) => schedulesRepo.findState(sql, { triggerId }));
  // The outcome of the last poll is kept with the subscription, where the trigger shows it.
  const note = (fields: Record<string, unknown>) =>
    db.tenant({ orgId }, (sql) =>
      triggersRepo.mergeSubscription(sql, {
        id: triggerId,
        fields: { lastPollAt: new Date().toISOString(), ...fields },
      }),
    );
  let polled: Awaited<ReturnType<typeof pollOnce>>;
  try {
    polled = await pollOnce({
      runtime,
      tenant: appEventTenant(trigger.record),
      connectionId: trigger.record.connectionId,
      event: config.event,
      state: row?.state ?? null,
    });
  } catch (error) {
    await note({ lastPollError: isAppError(error) ? error.message : 'internal error' });
    throw error;
  }
  const { records, state } = polled;
  const leaseUntil = new Date(Date.now() + ROUTING_LEASE_MS);
  const events = records.map((payload) =>
    newEvent({ trigger: trigger.record, payload, leaseUntil }),
  );
  // The events and the new state commit together: a crash re-polls from the old state.
  await db.tenant({ orgId }, async (sql) => {
    await triggersRepo.insertEvents(sql, events);
    await schedulesRepo.setState(sql, { triggerId, state });
  });
  await note({ lastPollError: null, lastPollRecords: events.length });
  for (const event of events) router.dispatch(trigger, asRecord(event));
  return events.length;
}

/**
 * The trigger side of a worker: the scheduler (each tick fires once across every worker; a
 * scheduler trigger's tick becomes an event, a polling app event polls), and the sweeper of
 * events left pending.
 */
export function startTriggerWorkers({
  db,
  runtime,
  router,
  logger,
  tickMs,
}: {
  db: Database;
  runtime: ConnectionRuntime;
  router: EventRouter;
  logger: Logger;
  tickMs?: number;
}): { close(): Promise<void> } {
  const polls = new Set<Promise<unknown>>();
  const scheduler = startScheduler({
    db,
    ...(tickMs === undefined ? {} : { tickMs }),
    onError: (error) => logger.error({ err: error }, 'scheduler error'),
    fire: async ({ sql, orgId, triggerId, tickAt, type }): Promise<Fired> => {
      if (type === 'app_event') return { kind: 'poll', orgId, triggerId };
      // A schedule made for one customer (the connect widget's) runs as that customer.
      const customerId = (await triggersRepo.find(sql, { id: triggerId }))?.customerId ?? null;
      const event = newEvent({
        trigger: { orgId, id: triggerId, type: 'scheduler', customerId },
        payload: { tickAt: tickAt.toISOString() },
        tickAt,
        leaseUntil: new Date(Date.now() + ROUTING_LEASE_MS),
      });
      await triggersRepo.insertEvents(sql, [event]);
      return { kind: 'event', orgId, triggerId, event };
    },
    afterCommit: (fired) => {
      for (const item of fired as Fired[]) {
        const work =
          item.kind === 'poll'
            ? pollAppEvent({ db, runtime, router, orgId: item.orgId, triggerId: item.triggerId })
            : router.load(item.orgId, item.triggerId).then((trigger) => {
                if (trigger) router.dispatch(trigger, asRecord(item.event));
              });
        const tracked = work
          .catch((error: unknown) =>
            logger.error({ err: error, triggerId: item.triggerId }, 'scheduled trigger failed'),
          )
          .finally(() => polls.delete(tracked));
        polls.add(tracked);
      }
    },
  });
  const sweeper = startPendingSweeper({ db, router, logger });
  return {
    async close() {
      await scheduler.close();
      await sweeper.close();
      await Promise.allSettled([...polls]);
    },
  };
}
