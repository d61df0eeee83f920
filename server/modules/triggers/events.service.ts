import type { Database } from '../../db/database.ts';
import * as triggersRepo from '../../db/repositories/triggers.repo.ts';
import type { EventRecord } from '../../db/repositories/triggers.repo.ts';
import { requireEnvironmentAllowed, requirePermission, type Tenant } from '../../domain/tenant.ts';
import type { ListEventsQuery, TriggerEvent } from '../../domain/trigger.ts';
import { AppError } from '../../errors.ts';
import { decodeCursor, pageOfItems } from '../pagination.ts';
import type { EventRouter } from '../../runtime/event-router.ts';

function toView(e: EventRecord): TriggerEvent {
  return {
    id: e.id,
    triggerId: e.triggerId,
    source: e.source,
    customerId: e.customerId,
    headers: e.headers,
    payload: e.payload,
    dedupKey: e.dedupKey,
    verdict: e.verdict,
    matchedRoutes: e.matchedRoutes,
    executions: e.executions,
    error: e.error,
    deadLetter: e.deadLetter,
    attempts: e.attempts,
    receivedAt: e.receivedAt.toISOString(),
    routedAt: e.routedAt?.toISOString() ?? null,
  };
}

export async function listEvents({
  db,
  tenant,
  query,
}: {
  db: Database;
  tenant: Tenant;
  query: ListEventsQuery;
}): Promise<{ data: TriggerEvent[]; nextCursor: string | null }> {
  requirePermission(tenant, 'workflows:read');
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const items = await db.tenant(tenant, (sql) =>
    triggersRepo.listEvents(sql, {
      triggerId: query.triggerId,
      verdict: query.verdict,
      deadLetter: query.deadLetter,
      limit: query.limit,
      after,
    }),
  );
  return pageOfItems({
    items: items.map(toView),
    limit: query.limit,
    keyOf: (e) => ({ createdAt: e.receivedAt, id: e.id }),
  });
}

export async function getEvent({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<TriggerEvent> {
  requirePermission(tenant, 'workflows:read');
  const found = await db.tenant(tenant, (sql) => triggersRepo.findEvent(sql, { id }));
  if (!found) throw new AppError('not_found', `no event ${id}`);
  return toView(found);
}

/** Routes a stored event again, now; a dead letter leaves the dead-letter queue if it succeeds. */
export async function replayEvent({
  db,
  router,
  tenant,
  id,
}: {
  db: Database;
  router: EventRouter;
  tenant: Tenant;
  id: string;
}): Promise<TriggerEvent> {
  requirePermission(tenant, 'workflows:execute');
  requirePermission(tenant, 'workflows:execute');
  const event = await db.tenant(tenant, (sql) => triggersRepo.findEvent(sql, { id }));
  if (!event) throw new AppError('not_found', `no event ${id}`);
  if (event.verdict === 'duplicate' || event.verdict === 'rejected') {
    throw new AppError('conflict', `a ${event.verdict} event is not replayed`);
  }
  const trigger = await router.load(tenant.orgId, event.triggerId);
  if (!trigger) throw new AppError('not_found', 'the trigger of this event was deleted');
  // The routes run as the platform, so the caller's key is held to where they would run.
  for (const route of trigger.routes) requireEnvironmentAllowed(tenant, route.environment);
  await router.route(trigger, event);
  return getEvent({ db, tenant, id });
}
