import { isUuid, type Sql } from '../database.ts';
import type {
  Action,
  ActionInput,
  AuthMethod,
  Connector,
  ConnectorEvent,
  CreateConnector,
  EventInput,
  UpdateConnector,
} from '../../domain/connector.ts';

interface ConnectorRow {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly description: string | null;
  readonly domain: string | null;
  readonly visibility: 'private' | 'public';
  readonly icon_url: string | null;
  readonly base_url: string | null;
  readonly server_variables: Connector['serverVariables'];
  readonly auth_methods: AuthMethod[];
  readonly rate_limit: Connector['rateLimit'];
  readonly action_count: number;
  readonly event_count: number;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const CONNECTOR_COLUMNS = `c.id, c.slug, c.name, c.description, c.domain, c.visibility, c.icon_url, c.base_url,
  c.server_variables, c.auth_methods, c.rate_limit, c.created_at, c.updated_at,
  (SELECT count(*)::int FROM connector_actions a WHERE a.org_id = c.org_id AND a.connector_id = c.id) AS action_count,
  (SELECT count(*)::int FROM connector_events e WHERE e.org_id = c.org_id AND e.connector_id = c.id) AS event_count`;

function toConnector(row: ConnectorRow): Connector {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    domain: row.domain,
    visibility: row.visibility,
    iconUrl: row.icon_url,
    baseUrl: row.base_url,
    serverVariables: row.server_variables,
    authMethods: row.auth_methods,
    rateLimit: row.rate_limit,
    actionCount: row.action_count,
    eventCount: row.event_count,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function insert(
  db: Sql,
  { orgId, input }: { orgId: string; input: CreateConnector },
): Promise<string> {
  const rows = await db.query<{ id: string }>(
    `INSERT INTO connectors (org_id, slug, name, description, domain, visibility, icon_url, base_url, server_variables, auth_methods, rate_limit)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
    [
      orgId,
      input.slug,
      input.name,
      input.description ?? null,
      input.domain ?? null,
      input.visibility,
      input.iconUrl ?? null,
      input.baseUrl ?? null,
      JSON.stringify(input.serverVariables),
      JSON.stringify(input.authMethods),
      input.rateLimit === undefined ? null : JSON.stringify(input.rateLimit),
    ],
  );
  return (rows[0] as { id: string }).id;
}

/** By id (a UUID) or by slug. */
export async function find(db: Sql, { ref }: { ref: string }): Promise<Connector | null> {
  const byId = isUuid(ref);
  const rows = await db.query<ConnectorRow>(
    `SELECT ${CONNECTOR_COLUMNS} FROM connectors c WHERE ${byId ? 'c.id = $1::uuid' : 'c.slug = $1'}`,
    [ref],
  );
  return rows[0] ? toConnector(rows[0]) : null;
}

export async function list(db: Sql): Promise<Connector[]> {
  const rows = await db.query<ConnectorRow>(
    `SELECT ${CONNECTOR_COLUMNS} FROM connectors c ORDER BY c.slug`,
  );
  return rows.map(toConnector);
}

export async function listSlugs(db: Sql): Promise<string[]> {
  const rows = await db.query<{ slug: string }>('SELECT slug FROM connectors ORDER BY slug');
  return rows.map((r) => r.slug);
}

export async function update(
  db: Sql,
  { id, input }: { id: string; input: UpdateConnector },
): Promise<boolean> {
  const set: string[] = [];
  const params: unknown[] = [id];
  const add = (column: string, value: unknown) => {
    params.push(value);
    set.push(`${column} = $${params.length}`);
  };
  if (input.name !== undefined) add('name', input.name);
  if (input.description !== undefined) add('description', input.description);
  if (input.domain !== undefined) add('domain', input.domain);
  if (input.visibility !== undefined) add('visibility', input.visibility);
  if (input.iconUrl !== undefined) add('icon_url', input.iconUrl);
  if (input.baseUrl !== undefined) add('base_url', input.baseUrl);
  if (input.serverVariables !== undefined)
    add('server_variables', JSON.stringify(input.serverVariables));
  if (input.authMethods !== undefined) add('auth_methods', JSON.stringify(input.authMethods));
  if (input.rateLimit !== undefined)
    add('rate_limit', input.rateLimit === null ? null : JSON.stringify(input.rateLimit));
  const rows = await db.query(
    `UPDATE connectors SET ${set.join(', ')}, updated_at = now() WHERE id = $1 RETURNING id`,
    params,
  );
  return rows.length > 0;
}

export async function remove(db: Sql, { id }: { id: string }): Promise<boolean> {
  return (await db.query('DELETE FROM connectors WHERE id = $1 RETURNING id', [id])).length > 0;
}

interface ActionRow {
  readonly id: string;
  readonly connector_id: string;
  readonly slug: string;
  readonly name: string;
  readonly description: string | null;
  readonly method: Action['method'];
  readonly path: string;
  readonly parameters: Action['parameters'];
  readonly body: { bodyType: Action['bodyType'] } | null;
  readonly input_schema: Record<string, unknown>;
  readonly output_schema: Record<string, unknown> | null;
  readonly pagination: Action['pagination'] | null;
  readonly cdm_entity: Action['cdmEntity'] | null;
  readonly tags: string[];
  readonly deprecated: boolean;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const ACTION_COLUMNS = `id, connector_id, slug, name, description, method, path, parameters, body, input_schema,
  output_schema, pagination, cdm_entity, tags, deprecated, created_at, updated_at`;

function toAction(row: ActionRow): Action {
  return {
    id: row.id,
    connectorId: row.connector_id,
    slug: row.slug,
    name: row.name,
    ...(row.description !== null && { description: row.description }),
    method: row.method,
    path: row.path,
    parameters: row.parameters,
    bodyType: row.body?.bodyType ?? 'json',
    inputSchema: row.input_schema,
    ...(row.output_schema !== null && { outputSchema: row.output_schema }),
    ...(row.pagination !== null && { pagination: row.pagination }),
    ...(row.cdm_entity !== null && { cdmEntity: row.cdm_entity }),
    tags: row.tags,
    deprecated: row.deprecated,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function upsertAction(
  db: Sql,
  {
    orgId,
    connectorId,
    action,
    inputSchema,
  }: {
    orgId: string;
    connectorId: string;
    action: ActionInput;
    inputSchema: Record<string, unknown>;
  },
): Promise<Action> {
  const rows = await db.query<ActionRow>(
    `INSERT INTO connector_actions (org_id, connector_id, slug, name, description, method, path, parameters, body,
        input_schema, output_schema, pagination, cdm_entity, tags, deprecated)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (org_id, connector_id, slug) DO UPDATE SET
        name = EXCLUDED.name, description = EXCLUDED.description, method = EXCLUDED.method, path = EXCLUDED.path,
        parameters = EXCLUDED.parameters, body = EXCLUDED.body, input_schema = EXCLUDED.input_schema,
        output_schema = EXCLUDED.output_schema, pagination = EXCLUDED.pagination, cdm_entity = EXCLUDED.cdm_entity,
        tags = EXCLUDED.tags, deprecated = EXCLUDED.deprecated, updated_at = now()
     RETURNING ${ACTION_COLUMNS}`,
    [
      orgId,
      connectorId,
      action.slug,
      action.name,
      action.description ?? null,
      action.method,
      action.path,
      JSON.stringify(action.parameters),
      JSON.stringify({ bodyType: action.bodyType }),
      JSON.stringify(inputSchema),
      action.outputSchema === undefined ? null : JSON.stringify(action.outputSchema),
      action.pagination === undefined ? null : JSON.stringify(action.pagination),
      action.cdmEntity ?? null,
      action.tags,
      action.deprecated,
    ],
  );
  return toAction(rows[0] as ActionRow);
}

export async function listActions(
  db: Sql,
  { connectorId }: { connectorId: string },
): Promise<Action[]> {
  const rows = await db.query<ActionRow>(
    `SELECT ${ACTION_COLUMNS} FROM connector_actions WHERE connector_id = $1 ORDER BY slug`,
    [connectorId],
  );
  return rows.map(toAction);
}

/** The paths of a connector's actions the import took for `entity`. */
export async function listEntityPaths(
  db: Sql,
  { connectorId, entity }: { connectorId: string; entity: string },
): Promise<string[]> {
  const rows = await db.query<{ path: string }>(
    'SELECT DISTINCT path FROM connector_actions WHERE connector_id = $1 AND cdm_entity = $2 ORDER BY path',
    [connectorId, entity],
  );
  return rows.map((r) => r.path);
}

export async function findAction(
  db: Sql,
  { connectorId, ref }: { connectorId: string; ref: string },
): Promise<Action | null> {
  const byId = isUuid(ref);
  const rows = await db.query<ActionRow>(
    `SELECT ${ACTION_COLUMNS} FROM connector_actions WHERE connector_id = $1 AND ${byId ? 'id = $2::uuid' : 'slug = $2'}`,
    [connectorId, ref],
  );
  return rows[0] ? toAction(rows[0]) : null;
}

export async function removeAction(
  db: Sql,
  { connectorId, id }: { connectorId: string; id: string },
): Promise<boolean> {
  return (
    (
      await db.query(
        'DELETE FROM connector_actions WHERE connector_id = $1 AND id = $2 RETURNING id',
        [connectorId, id],
      )
    ).length > 0
  );
}

export async function removeAllActions(
  db: Sql,
  { connectorId }: { connectorId: string },
): Promise<void> {
  await db.query('DELETE FROM connector_actions WHERE connector_id = $1', [connectorId]);
}

interface EventRow {
  readonly id: string;
  readonly connector_id: string;
  readonly name: string;
  readonly description: string | null;
  readonly payload_schema: Record<string, unknown> | null;
  readonly subscription: ConnectorEvent['subscription'] | null;
  readonly signature: ConnectorEvent['signature'] | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const EVENT_COLUMNS =
  'id, connector_id, name, description, payload_schema, subscription, signature, created_at, updated_at';

function toEvent(row: EventRow): ConnectorEvent {
  return {
    id: row.id,
    connectorId: row.connector_id,
    name: row.name,
    ...(row.description !== null && { description: row.description }),
    ...(row.payload_schema !== null && { payloadSchema: row.payload_schema }),
    ...(row.subscription !== null && { subscription: row.subscription }),
    ...(row.signature !== null && { signature: row.signature }),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function upsertEvent(
  db: Sql,
  { orgId, connectorId, event }: { orgId: string; connectorId: string; event: EventInput },
): Promise<ConnectorEvent> {
  const rows = await db.query<EventRow>(
    `INSERT INTO connector_events (org_id, connector_id, name, description, payload_schema, subscription, signature)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (org_id, connector_id, name) DO UPDATE SET
        description = EXCLUDED.description, payload_schema = EXCLUDED.payload_schema,
        subscription = EXCLUDED.subscription, signature = EXCLUDED.signature, updated_at = now()
     RETURNING ${EVENT_COLUMNS}`,
    [
      orgId,
      connectorId,
      event.name,
      event.description ?? null,
      event.payloadSchema === undefined ? null : JSON.stringify(event.payloadSchema),
      event.subscription === undefined ? null : JSON.stringify(event.subscription),
      event.signature === undefined ? null : JSON.stringify(event.signature),
    ],
  );
  return toEvent(rows[0] as EventRow);
}

export async function listEvents(
  db: Sql,
  { connectorId }: { connectorId: string },
): Promise<ConnectorEvent[]> {
  const rows = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM connector_events WHERE connector_id = $1 ORDER BY name`,
    [connectorId],
  );
  return rows.map(toEvent);
}

export async function findEvent(
  db: Sql,
  { connectorId, ref }: { connectorId: string; ref: string },
): Promise<ConnectorEvent | null> {
  const byId = isUuid(ref);
  const rows = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM connector_events WHERE connector_id = $1 AND ${byId ? 'id = $2::uuid' : 'name = $2'}`,
    [connectorId, ref],
  );
  return rows[0] ? toEvent(rows[0]) : null;
}

export async function removeEvent(
  db: Sql,
  { connectorId, id }: { connectorId: string; id: string },
): Promise<boolean> {
  return (
    (
      await db.query(
        'DELETE FROM connector_events WHERE connector_id = $1 AND id = $2 RETURNING id',
        [connectorId, id],
      )
    ).length > 0
  );
}

export async function removeAllEvents(
  db: Sql,
  { connectorId }: { connectorId: string },
): Promise<void> {
  await db.query('DELETE FROM connector_events WHERE connector_id = $1', [connectorId]);
}
