import { randomBytes, randomUUID } from 'node:crypto';
import type { Keyring } from '../../crypto/envelope.ts';
import { open, seal } from '../../crypto/envelope.ts';
import { isUuid, type Database, type TxSql } from '../../db/database.ts';
import * as schedulesRepo from '../../db/repositories/trigger-schedules.repo.ts';
import * as triggersRepo from '../../db/repositories/triggers.repo.ts';
import type { RouteRecord, TriggerRecord } from '../../db/repositories/triggers.repo.ts';
import { requireEnvironmentAllowed, requirePermission, type Tenant } from '../../domain/tenant.ts';
import {
  AppEventConfigSchema,
  SchedulerConfigSchema,
  WebhookConfigSchema,
  type CreateTrigger,
  type RouteInput,
  type Trigger,
  type UpdateTrigger,
} from '../../domain/trigger.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireEnvironment } from '../environments/environments.service.ts';
import { getConnection } from '../connections/connections.service.ts';
import type { ConnectionRuntime } from '../connections/runtime.ts';
import { decodeCursor, pageOfItems } from '../pagination.ts';
import { requireWorkflow } from '../workflows/workflows.service.ts';
import { compileJsonata } from './filters.ts';
import { connectorOf } from './app-event-verify.ts';
import { TRIGGERS_CHANNEL } from './types.ts';

import { subscribe, unsubscribe } from '../../runtime/app-events/app-events.ts';
import { nextRuns, validateSchedule } from '../../runtime/scheduler/schedule.ts';
import { removeSchedule, syncHint, upsertSchedule } from '../../runtime/scheduler/ticker.ts';

export interface TriggerDeps {
  db: Database;
  keyring: Keyring;
  runtime: ConnectionRuntime;
  /** The public URL of a webhook trigger. */
  hookUrl: (triggerId: string) => string;
}

export function triggerSecretAad({ orgId, triggerId }: { orgId: string; triggerId: string }) {
  return `weft:trigger-secret:v1|org:${orgId}|trigger:${triggerId}`;
}

export function openTriggerSecret({
  keyring,
  record,
}: {
  keyring: Keyring;
  record: Pick<TriggerRecord, 'orgId' | 'id' | 'secretSealed'>;
}): string | null {
  if (record.secretSealed === null) return null;
  return open({
    keyring,
    sealed: record.secretSealed,
    aad: triggerSecretAad({ orgId: record.orgId, triggerId: record.id }),
  });
}

function notFound(id: string): AppError {
  return new AppError('not_found', `no trigger ${id}; list triggers to see the ids`);
}

async function requireTrigger(sql: TxSql, id: string): Promise<TriggerRecord> {
  if (!isUuid(id)) throw notFound(id);
  const found = await triggersRepo.find(sql, { id });
  if (!found) throw notFound(id);
  return found;
}

/**
 * Resolves and checks the routes: workflows exist, filters compile, and the caller may run in
 * each route's environment (its events later run there as the platform, whoever sends them).
 */
async function resolveRoutes(sql: TxSql, tenant: Tenant, routes: readonly RouteInput[]) {
  const resolved = [];
  for (const [i, route] of routes.entries()) {
    const workflow = await requireWorkflow(sql, route.workflow);
    requireEnvironmentAllowed(tenant, route.environment);
    await requireEnvironment(sql, route.environment);
    if (route.filter !== undefined)
      compileJsonata({ text: route.filter, field: `routes[${i}].filter` });
    resolved.push({
      workflowId: workflow.id,
      environment: route.environment,
      headers: route.headers,
      filter: route.filter ?? null,
      payload: route.payload,
    });
  }
  return resolved;
}

async function view({
  sql,
  deps,
  record,
  routes,
  nextRuns: loadedNextRuns,
}: {
  sql: TxSql;
  deps: TriggerDeps;
  record: TriggerRecord;
  routes?: RouteRecord[];
  /** Next runs of scheduler triggers, when the caller loaded those of many at once. */
  nextRuns?: ReadonlyMap<string, Date>;
}): Promise<Trigger> {
  const own = routes ?? (await triggersRepo.listRoutes(sql, { triggerIds: [record.id] }));
  const base: Trigger = {
    id: record.id,
    type: record.type,
    name: record.name,
    description: record.description,
    status: record.status,
    routes: own.map((r) => ({
      id: r.id,
      workflowId: r.workflowId,
      workflowSlug: r.workflowSlug,
      environment: r.environment,
      headers: r.headers,
      filter: r.filter,
      payload: r.payload ?? null,
    })),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
  if (record.type === 'webhook') {
    base.webhook = { ...WebhookConfigSchema.parse(record.config), url: deps.hookUrl(record.id) };
  } else if (record.type === 'scheduler') {
    const nextRunAt = (
      loadedNextRuns ?? (await schedulesRepo.findNextRuns(sql, { triggerIds: [record.id] }))
    ).get(record.id);
    base.scheduler = {
      ...SchedulerConfigSchema.parse(record.config),
      nextRunAt: nextRunAt?.toISOString() ?? null,
    };
  } else {
    const config = AppEventConfigSchema.parse(record.config);
    base.appEvent = {
      ...config,
      connector: connectorOf(record.subscription),
      customerId: record.customerId,
      subscription: record.subscription,
    };
  }
  return base;
}

function generatedSecret(auth: string): string {
  return auth === 'hmac'
    ? `whsec_${randomBytes(24).toString('base64')}`
    : `wh_${randomBytes(24).toString('base64url')}`;
}

export async function createTrigger({
  tenant,
  input,
  ...deps
}: TriggerDeps & {
  tenant: Tenant;
  input: CreateTrigger;
}): Promise<Trigger> {
  requirePermission(tenant, 'workflows:create');
  const { db, keyring } = deps;
  const id = randomUUID();
  let config: Record<string, unknown>;
  let secret: string | undefined;
  let connectionId: string | null = null;
  let customerId: string | null = null;
  let connectorSlug: string | null = null;
  if (input.type === 'webhook') {
    config = input.webhook;
    if (input.webhook.dedup)
      compileJsonata({ text: input.webhook.dedup.path, field: 'webhook.dedup.path' });
    if (input.webhook.auth.type !== 'none')
      secret = input.secret ?? generatedSecret(input.webhook.auth.type);
  } else if (input.type === 'scheduler') {
    validateSchedule(input.scheduler);
    // An interval is anchored at its creation, so later edits keep its rhythm.
    const schedule =
      input.scheduler.schedule.preset === 'interval' &&
      input.scheduler.schedule.startAt === undefined
        ? { ...input.scheduler.schedule, startAt: new Date().toISOString() }
        : input.scheduler.schedule;
    input = { ...input, scheduler: { ...input.scheduler, schedule } };
    config = input.scheduler;
    // Made by a customer's tenant (a customer key, the connect widget's activation): its ticks
    // run as that customer.
    customerId = tenant.customerId;
  } else {
    config = input.appEvent;
    const connection = await getConnection({
      runtime: deps.runtime,
      tenant,
      id: input.appEvent.connectionId,
    });
    connectionId = connection.id;
    customerId = connection.customerId;
    connectorSlug = connection.connector;
  }
  const created = await db.tenant(tenant, async (sql) => {
    const routes = await resolveRoutes(sql, tenant, input.routes);
    const record = await triggersRepo.insert(sql, {
      id,
      orgId: tenant.orgId,
      type: input.type,
      name: input.name,
      description: input.description ?? '',
      status: input.status ?? 'active',
      config,
      secretSealed:
        secret === undefined
          ? null
          : seal({
              keyring,
              plaintext: secret,
              aad: triggerSecretAad({ orgId: tenant.orgId, triggerId: id }),
            }),
      connectionId,
      customerId,
    });
    await triggersRepo.replaceRoutes(sql, { orgId: tenant.orgId, triggerId: id, routes });
    if (input.type === 'scheduler' && record.status === 'active') {
      await upsertSchedule({
        sql,
        orgId: tenant.orgId,
        triggerId: id,
        config: input.scheduler,
        now: new Date(),
      });
    }
    await recordAudit(sql, {
      tenant,
      action: 'trigger.create',
      resourceType: 'trigger',
      resourceId: id,
      details: { type: input.type, name: input.name, routes: routes.length },
    });
    return record;
  });
  if (input.type === 'scheduler') await syncHint({ db, orgId: tenant.orgId, triggerId: id });
  if (input.type === 'app_event' && connectionId !== null) {
    // Subscribed after the trigger exists, so the provider's first event finds it.
    const subscription = await subscribe({
      runtime: deps.runtime,
      tenant,
      connectionId,
      event: input.appEvent.event,
      hookUrl: deps.hookUrl(id),
    }).catch(async (error: unknown) => {
      await db.tenant(tenant, (sql) => triggersRepo.remove(sql, { id }));
      throw error;
    });
    await db.tenant(tenant, async (sql) => {
      await triggersRepo.update(sql, {
        id,
        subscription: { connector: connectorSlug, ...subscription, status: 'subscribed' },
      });
      if (subscription.mode === 'poll') {
        await upsertSchedule({
          sql,
          orgId: tenant.orgId,
          triggerId: id,
          config: {
            schedule: { preset: 'interval', every: subscription.intervalSeconds, unit: 'seconds' },
            timezone: 'UTC',
          },
          now: new Date(),
        });
      }
    });
    if (subscription.mode === 'poll') await syncHint({ db, orgId: tenant.orgId, triggerId: id });
  }
  const trigger = await db.tenant(tenant, async (sql) => {
    await sql.notify(TRIGGERS_CHANNEL, id);
    return view({ sql, deps, record: await requireTrigger(sql, created.id) });
  });
  return secret === undefined ? trigger : { ...trigger, secret };
}

export async function getTrigger({
  tenant,
  id,
  ...deps
}: TriggerDeps & {
  tenant: Tenant;
  id: string;
}): Promise<Trigger> {
  requirePermission(tenant, 'workflows:read');
  return deps.db.tenant(tenant, async (sql) =>
    view({ sql, deps, record: await requireTrigger(sql, id) }),
  );
}

export async function listTriggers({
  tenant,
  query,
  ...deps
}: TriggerDeps & {
  tenant: Tenant;
  query: { limit: number; cursor?: string | undefined };
}): Promise<{ data: Trigger[]; nextCursor: string | null }> {
  requirePermission(tenant, 'workflows:read');
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const items = await deps.db.tenant(tenant, async (sql) => {
    const records = await triggersRepo.list(sql, { limit: query.limit, after });
    const routes = await triggersRepo.listRoutes(sql, { triggerIds: records.map((r) => r.id) });
    const nextRuns = await schedulesRepo.findNextRuns(sql, {
      triggerIds: records.filter((r) => r.type === 'scheduler').map((r) => r.id),
    });
    const out: Trigger[] = [];
    for (const record of records) {
      out.push(
        await view({
          sql,
          deps,
          record,
          routes: routes.filter((r) => r.triggerId === record.id),
          nextRuns,
        }),
      );
    }
    return out;
  });
  return pageOfItems({ items, limit: query.limit, keyOf: (t) => t });
}

export async function updateTrigger({
  tenant,
  id,
  input,
  ...deps
}: TriggerDeps & {
  tenant: Tenant;
  id: string;
  input: UpdateTrigger;
}): Promise<Trigger> {
  requirePermission(tenant, 'workflows:update');
  const { db } = deps;
  const result = await db.tenant(tenant, async (sql) => {
    const current = await requireTrigger(sql, id);
    let config: Record<string, unknown> | undefined;
    if (input.webhook !== undefined) {
      if (current.type !== 'webhook')
        throw new AppError('bad_request', 'only a webhook trigger takes `webhook`');
      if (input.webhook.dedup)
        compileJsonata({ text: input.webhook.dedup.path, field: 'webhook.dedup.path' });
      const before = WebhookConfigSchema.parse(current.config);
      if (
        input.webhook.auth.type !== before.auth.type &&
        input.webhook.auth.type !== 'none' &&
        current.secretSealed === null
      ) {
        throw new AppError(
          'bad_request',
          'changing the authentication type needs a new trigger (its secret is made at creation)',
        );
      }
      config = input.webhook;
    }
    if (input.scheduler !== undefined) {
      if (current.type !== 'scheduler')
        throw new AppError('bad_request', 'only a scheduler trigger takes `scheduler`');
      validateSchedule(input.scheduler);
      config = input.scheduler;
    }
    if (input.routes !== undefined) {
      const routes = await resolveRoutes(sql, tenant, input.routes);
      await triggersRepo.replaceRoutes(sql, { orgId: tenant.orgId, triggerId: id, routes });
    }
    const updated = (await triggersRepo.update(sql, {
      id,
      name: input.name,
      description: input.description,
      status: input.status,
      config,
    })) as TriggerRecord;
    const rescheduled =
      input.scheduler !== undefined || (input.status === 'active' && current.status !== 'active');
    if (updated.type === 'scheduler' && (rescheduled || input.status === 'inactive')) {
      if (updated.status === 'active') {
        await upsertSchedule({
          sql,
          orgId: tenant.orgId,
          triggerId: id,
          config: SchedulerConfigSchema.parse(updated.config),
          now: new Date(),
        });
      } else {
        await removeSchedule({ sql, triggerId: id });
      }
    }
    await recordAudit(sql, {
      tenant,
      action: 'trigger.update',
      resourceType: 'trigger',
      resourceId: id,
      details: { fields: Object.keys(input) },
    });
    await sql.notify(TRIGGERS_CHANNEL, id);
    return updated;
  });
  if (result.type === 'scheduler') await syncHint({ db, orgId: tenant.orgId, triggerId: id });
  return db.tenant(tenant, async (sql) =>
    view({ sql, deps, record: await requireTrigger(sql, id) }),
  );
}

export async function deleteTrigger({
  tenant,
  id,
  ...deps
}: TriggerDeps & {
  tenant: Tenant;
  id: string;
}): Promise<void> {
  requirePermission(tenant, 'workflows:delete');
  const record = await deps.db.tenant(tenant, (sql) => requireTrigger(sql, id));
  if (record.type === 'app_event' && record.connectionId !== null) {
    const config = AppEventConfigSchema.parse(record.config);
    // The provider stops sending before the trigger disappears; a provider that refuses is
    // reported rather than leaving a trigger that silently receives nothing.
    if (record.subscription['mode'] === 'webhook') {
      await unsubscribe({
        runtime: deps.runtime,
        tenant,
        connectionId: record.connectionId,
        event: config.event,
        subscription: record.subscription,
      });
    }
  }
  await deps.db.tenant(tenant, async (sql) => {
    await triggersRepo.remove(sql, { id });
    await recordAudit(sql, {
      tenant,
      action: 'trigger.delete',
      resourceType: 'trigger',
      resourceId: id,
      details: { type: record.type, name: record.name },
    });
    await sql.notify(TRIGGERS_CHANNEL, id);
  });
  if (record.type !== 'webhook')
    await syncHint({ db: deps.db, orgId: tenant.orgId, triggerId: id });
}

/** The next runs of a scheduler trigger (or of a schedule not saved yet). */
export function previewSchedule({ config, count }: { config: unknown; count: number }): string[] {
  const parsed = SchedulerConfigSchema.parse(config);
  validateSchedule(parsed);
  return nextRuns({ ...parsed, after: new Date(), count }).map((d) => d.toISOString());
}
