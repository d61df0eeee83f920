import { assertSettingValue, type Database, type Sql } from '../database.ts';
import { fromStoredJson, fromStoredText, toStoredJson, toStoredText } from '../stored-text.ts';
import type { Environment } from '../../domain/workflow.ts';
import type { EventVerdict, TriggerType } from '../../domain/trigger.ts';

export interface TriggerRecord {
  id: string;
  orgId: string;
  type: TriggerType;
  name: string;
  description: string;
  status: 'active' | 'inactive';
  config: Record<string, unknown>;
  secretSealed: string | null;
  connectionId: string | null;
  customerId: string | null;
  subscription: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface RouteRecord {
  id: string;
  triggerId: string;
  position: number;
  workflowId: string;
  workflowSlug: string;
  environment: Environment;
  headers: Record<string, string>;
  filter: string | null;
  payload: unknown;
}

interface TriggerRow {
  id: string;
  org_id: string;
  type: TriggerType;
  name: string;
  description: string;
  status: 'active' | 'inactive';
  config: Record<string, unknown>;
  secret_sealed: string | null;
  connection_id: string | null;
  customer_id: string | null;
  subscription: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, org_id, type, name, description, status, config, secret_sealed, connection_id,
  customer_id, subscription, created_at, updated_at`;

function toRecord(row: TriggerRow): TriggerRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    type: row.type,
    name: row.name,
    description: row.description,
    status: row.status,
    config: fromStoredJson(row.config),
    secretSealed: row.secret_sealed,
    connectionId: row.connection_id,
    customerId: row.customer_id,
    subscription: row.subscription,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insert(
  db: Sql,
  t: {
    id: string;
    orgId: string;
    type: TriggerType;
    name: string;
    description: string;
    status: 'active' | 'inactive';
    config: Record<string, unknown>;
    secretSealed: string | null;
    connectionId: string | null;
    customerId: string | null;
  },
): Promise<TriggerRecord> {
  const rows = await db.query<TriggerRow>(
    `INSERT INTO triggers (id, org_id, type, name, description, status, config, secret_sealed, connection_id, customer_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
    [
      t.id,
      t.orgId,
      t.type,
      t.name,
      t.description,
      t.status,
      toStoredJson(t.config),
      t.secretSealed,
      t.connectionId,
      t.customerId,
    ],
  );
  return toRecord(rows[0] as TriggerRow);
}

/**
 * The org of a webhook trigger, found by its id alone, before the org is known: only the row
 * the `weft.hook_id` setting names is visible (RLS), in one round trip. Null when there is none.
 */
export async function findHookOrg(
  db: Database,
  { triggerId }: { triggerId: string },
): Promise<string | null> {
  const [rows] = await db.batch(
    { hookId: triggerId },
    `SELECT org_id FROM triggers WHERE id = '${assertSettingValue('uuid', triggerId)}'`,
  );
  return (rows?.[0]?.['org_id'] as string | undefined) ?? null;
}

export async function find(db: Sql, { id }: { id: string }): Promise<TriggerRecord | null> {
  const rows = await db.query<TriggerRow>(`SELECT ${COLUMNS} FROM triggers WHERE id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function list(
  db: Sql,
  { limit, after }: { limit: number; after: { createdAt: string; id: string } | null },
): Promise<TriggerRecord[]> {
  const rows = await db.query<TriggerRow>(
    `SELECT ${COLUMNS} FROM triggers
      WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $3`,
    [after?.createdAt ?? null, after?.id ?? null, limit],
  );
  return rows.map(toRecord);
}

export async function update(
  db: Sql,
  {
    id,
    name,
    description,
    status,
    config,
    subscription,
  }: {
    id: string;
    name?: string | undefined;
    description?: string | undefined;
    status?: 'active' | 'inactive' | undefined;
    config?: Record<string, unknown> | undefined;
    subscription?: Record<string, unknown> | undefined;
  },
): Promise<TriggerRecord | null> {
  const rows = await db.query<TriggerRow>(
    `UPDATE triggers SET name = coalesce($2, name), description = coalesce($3, description),
        status = coalesce($4, status), config = coalesce($5::jsonb, config),
        subscription = coalesce($6::jsonb, subscription), updated_at = now()
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      name ?? null,
      description ?? null,
      status ?? null,
      config === undefined ? null : toStoredJson(config),
      subscription === undefined ? null : JSON.stringify(subscription),
    ],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Merges fields into the trigger's subscription (an app event's last poll outcome). */
export async function mergeSubscription(
  db: Sql,
  { id, fields }: { id: string; fields: Record<string, unknown> },
): Promise<void> {
  await db.query('UPDATE triggers SET subscription = subscription || $2::jsonb WHERE id = $1', [
    id,
    JSON.stringify(fields),
  ]);
}

export async function remove(db: Sql, { id }: { id: string }): Promise<boolean> {
  return (await db.query('DELETE FROM triggers WHERE id = $1 RETURNING id', [id])).length > 0;
}

interface RouteRow {
  id: string;
  trigger_id: string;
  position: number;
  workflow_id: string;
  slug: string;
  environment: Environment;
  headers: Record<string, string>;
  filter: string | null;
  payload: unknown;
}

export async function listRoutes(
  db: Sql,
  { triggerIds }: { triggerIds: readonly string[] },
): Promise<RouteRecord[]> {
  if (triggerIds.length === 0) return [];
  const rows = await db.query<RouteRow>(
    `SELECT r.id, r.trigger_id, r.position, r.workflow_id, w.slug, r.environment, r.headers, r.filter, r.payload
       FROM trigger_routes r JOIN workflows w ON w.org_id = r.org_id AND w.id = r.workflow_id
      WHERE r.trigger_id = ANY($1::uuid[]) ORDER BY r.trigger_id, r.position`,
    [triggerIds],
  );
  return rows.map((r) => ({
    id: r.id,
    triggerId: r.trigger_id,
    position: r.position,
    workflowId: r.workflow_id,
    workflowSlug: r.slug,
    environment: r.environment,
    headers: r.headers,
    filter: r.filter,
    payload: fromStoredJson(r.payload),
  }));
}

export async function replaceRoutes(
  db: Sql,
  {
    orgId,
    triggerId,
    routes,
  }: {
    orgId: string;
    triggerId: string;
    routes: readonly {
      workflowId: string;
      environment: Environment;
      headers: Record<string, string>;
      filter: string | null;
      payload: unknown;
    }[];
  },
): Promise<void> {
  await db.query('DELETE FROM trigger_routes WHERE trigger_id = $1', [triggerId]);
  for (const [position, r] of routes.entries()) {
    await db.query(
      `INSERT INTO trigger_routes (org_id, trigger_id, position, workflow_id, environment, headers, filter, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      [
        orgId,
        triggerId,
        position,
        r.workflowId,
        r.environment,
        JSON.stringify(r.headers),
        r.filter,
        toStoredJson(r.payload),
      ],
    );
  }
}

export interface NewEvent {
  id: string;
  orgId: string;
  triggerId: string;
  source: TriggerType;
  customerId: string | null;
  headers: Record<string, string>;
  payload: unknown;
  dedupKey: string | null;
  webhookId: string | null;
  tickAt: Date | null;
  verdict: EventVerdict;
  receivedAt: Date;
  /** Set when the inserting process routes the event itself, until when it may take. */
  leaseUntil: Date | null;
  /** Why a rejected request was refused. */
  error?: string;
}

const EVENT_INSERT = [
  'id',
  'org_id',
  'trigger_id',
  'source',
  'customer_id',
  'headers',
  'payload',
  'dedup_key',
  'webhook_id',
  'tick_at',
  'verdict',
  'received_at',
  'routing_lease_until',
  'error',
] as const;

/**
 * Inserts events; an event whose webhook-id (or tick) is already recorded is skipped, and its id
 * is left out of the returned list.
 */
export async function insertEvents(db: Sql, events: readonly NewEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const values: unknown[] = [];
  const width = EVENT_INSERT.length;
  const tuples = events.map((e, i) => {
    values.push(
      e.id,
      e.orgId,
      e.triggerId,
      e.source,
      e.customerId,
      toStoredJson(e.headers),
      // A webhook payload is stored exactly as received, whatever characters it holds.
      toStoredJson(e.payload),
      toStoredText(e.dedupKey),
      e.webhookId,
      e.tickAt,
      e.verdict,
      e.receivedAt,
      e.leaseUntil,
      toStoredText(e.error ?? null),
    );
    return `(${Array.from({ length: width }, (_, j) => `$${i * width + j + 1}`).join(', ')})`;
  });
  const rows = await db.query<{ id: string }>(
    `INSERT INTO trigger_events (${EVENT_INSERT.join(', ')}) VALUES ${tuples.join(', ')}
     ON CONFLICT DO NOTHING RETURNING id`,
    values,
  );
  return rows.map((r) => r.id);
}

/**
 * Records a scheduler tick's event with its payload as given. Unlike `insertEvents`, a tick
 * already recorded is an error (the unique index on the tick), not skipped: the scheduler's
 * tests fire through this, and a tick fired twice must show.
 */
export async function insertTickEvent(
  db: Sql,
  {
    orgId,
    triggerId,
    tickAt,
    payload,
  }: { orgId: string; triggerId: string; tickAt: Date; payload: unknown },
): Promise<void> {
  await db.query(
    `INSERT INTO trigger_events (org_id, id, trigger_id, source, tick_at, payload)
     VALUES ($1, gen_random_uuid(), $2, 'scheduler', $3, $4)`,
    [orgId, triggerId, tickAt, JSON.stringify(payload)],
  );
}

/** Whether an earlier event of the trigger has this dedup key inside the window. */
export async function seenDedupKey(
  db: Sql,
  {
    triggerId,
    dedupKey,
    windowSeconds,
    before,
  }: { triggerId: string; dedupKey: string; windowSeconds: number; before: Date },
): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM trigger_events
      WHERE trigger_id = $1 AND dedup_key = $2 AND verdict <> 'duplicate'
        AND received_at > $3::timestamptz - make_interval(secs => $4) AND received_at <= $3::timestamptz
        LIMIT 1`,
    [triggerId, toStoredText(dedupKey), before, windowSeconds],
  );
  return rows.length > 0;
}

export interface EventRecord {
  id: string;
  triggerId: string;
  source: TriggerType;
  customerId: string | null;
  headers: Record<string, string>;
  payload: unknown;
  dedupKey: string | null;
  verdict: EventVerdict;
  matchedRoutes: string[];
  executions: { routeId: string; executionId: string; status: string }[];
  error: string | null;
  deadLetter: boolean;
  attempts: number;
  receivedAt: Date;
  routedAt: Date | null;
}

interface EventRow {
  id: string;
  trigger_id: string;
  source: TriggerType;
  customer_id: string | null;
  headers: Record<string, string>;
  payload: unknown;
  dedup_key: string | null;
  verdict: EventVerdict;
  matched_routes: string[];
  executions: { routeId: string; executionId: string; status: string }[];
  error: string | null;
  dead_letter: boolean;
  attempts: number;
  received_at: Date;
  routed_at: Date | null;
}

const EVENT_COLUMNS = `id, trigger_id, source, customer_id, headers, payload, dedup_key, verdict,
  matched_routes, executions, error, dead_letter, attempts, received_at, routed_at`;

function toEvent(r: EventRow): EventRecord {
  return {
    id: r.id,
    triggerId: r.trigger_id,
    source: r.source,
    customerId: r.customer_id,
    headers: fromStoredJson(r.headers),
    payload: fromStoredJson(r.payload),
    dedupKey: fromStoredText(r.dedup_key),
    verdict: r.verdict,
    matchedRoutes: r.matched_routes,
    executions: r.executions,
    error: fromStoredText(r.error),
    deadLetter: r.dead_letter,
    attempts: r.attempts,
    receivedAt: r.received_at,
    routedAt: r.routed_at,
  };
}

export async function findEvent(db: Sql, { id }: { id: string }): Promise<EventRecord | null> {
  const rows = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM trigger_events WHERE id = $1`,
    [id],
  );
  return rows[0] ? toEvent(rows[0]) : null;
}

export async function listEvents(
  db: Sql,
  {
    triggerId,
    verdict,
    deadLetter,
    limit,
    after,
  }: {
    triggerId?: string | undefined;
    verdict?: EventVerdict | undefined;
    deadLetter?: boolean | undefined;
    limit: number;
    after: { createdAt: string; id: string } | null;
  },
): Promise<EventRecord[]> {
  const rows = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM trigger_events
      WHERE ($1::uuid IS NULL OR trigger_id = $1) AND ($2::text IS NULL OR verdict = $2)
        AND ($3::boolean IS NULL OR dead_letter = $3)
        AND ($4::timestamptz IS NULL OR (received_at, id) < ($4::timestamptz, $5::uuid))
      ORDER BY received_at DESC, id DESC LIMIT $6`,
    [
      triggerId ?? null,
      verdict ?? null,
      deadLetter ?? null,
      after?.createdAt ?? null,
      after?.id ?? null,
      limit,
    ],
  );
  return rows.map(toEvent);
}

/**
 * Claims pending events of the org older than `olderThanMs` (routing was interrupted or fell
 * behind), oldest first; a claim holds for `leaseMs`, so two sweepers never route the same event.
 */
export async function claimPending(
  db: Sql,
  { olderThanMs, leaseMs, limit }: { olderThanMs: number; leaseMs: number; limit: number },
): Promise<EventRecord[]> {
  const rows = await db.query<EventRow>(
    `UPDATE trigger_events
        SET routing_lease_until = now() + make_interval(secs => $2::double precision / 1000)
      WHERE id IN (
        SELECT id FROM trigger_events
         WHERE verdict = 'pending'
           AND received_at < now() - make_interval(secs => $1::double precision / 1000)
           AND (routing_lease_until IS NULL OR routing_lease_until < now())
         ORDER BY received_at LIMIT $3
         FOR UPDATE SKIP LOCKED)
      RETURNING ${EVENT_COLUMNS}`,
    [olderThanMs, leaseMs, limit],
  );
  return rows.map(toEvent);
}

export async function settleEvent(
  db: Sql,
  {
    id,
    verdict,
    matchedRoutes,
    executions,
    error,
    deadLetter,
  }: {
    id: string;
    verdict: EventVerdict;
    matchedRoutes: readonly string[];
    executions: readonly { routeId: string; executionId: string; status: string }[];
    error: string | null;
    deadLetter: boolean;
  },
): Promise<void> {
  await db.query(
    `UPDATE trigger_events SET verdict = $2, matched_routes = $3, executions = $4, error = $5,
        dead_letter = $6, attempts = attempts + 1, routed_at = now(), routing_lease_until = NULL
      WHERE id = $1`,
    [
      id,
      verdict,
      JSON.stringify(matchedRoutes),
      JSON.stringify(executions),
      toStoredText(error),
      deadLetter,
    ],
  );
}

/** A queued execution started by the event failed for good: the event becomes a dead letter. */
export async function deadLetterEvent(
  db: Sql,
  { id, error }: { id: string; error: string },
): Promise<void> {
  await db.query(
    `UPDATE trigger_events SET verdict = 'failed', dead_letter = true,
        error = left(coalesce(error || '; ', '') || $2, 2000)
      WHERE id = $1`,
    [id, toStoredText(error)],
  );
}

/** Every sealed webhook secret of the org, locked for re-wrapping under a new master key. */
export async function lockAllSealedSecrets(
  sql: Sql,
): Promise<{ id: string; orgId: string; secretSealed: string }[]> {
  const rows = await sql.query<{ id: string; org_id: string; secret_sealed: string }>(
    'SELECT id, org_id, secret_sealed FROM triggers WHERE secret_sealed IS NOT NULL FOR UPDATE',
  );
  return rows.map((r) => ({ id: r.id, orgId: r.org_id, secretSealed: r.secret_sealed }));
}

export async function updateSecretSealed(
  sql: Sql,
  { id, secretSealed }: { id: string; secretSealed: string },
): Promise<void> {
  await sql.query('UPDATE triggers SET secret_sealed = $2 WHERE id = $1', [id, secretSealed]);
}
