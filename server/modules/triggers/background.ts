import type { Logger } from 'pino';
import type { Database } from '../../db/database.ts';
import { listRegisteredOrgs } from '../../db/repositories/orgs.repo.ts';
import * as triggersRepo from '../../db/repositories/triggers.repo.ts';
import type { EventRouter } from './router.ts';

/** Events pending this long were not routed by the process that accepted them. */
const PENDING_AFTER_MS = 5_000;
const LEASE_MS = 5 * 60_000;
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
  let running: Promise<void> = Promise.resolve();
  let closed = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (closed) return;
      try {
        const routed = await routePending({ db, router });
        if (routed > 0) logger.info({ routed }, 'routed pending events');
      } catch (error) {
        logger.error({ err: error }, 'routing pending events failed');
      }
    });
  }, intervalMs);
  timer.unref();
  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
