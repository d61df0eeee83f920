import { isDeepStrictEqual } from 'node:util';
import { isUniqueViolation, type Database, type Sql } from '../../db/database.ts';
import * as connectorsRepo from '../../db/repositories/connectors.repo.ts';
import {
  CONNECTOR_FORMAT_VERSION,
  deriveInputSchema,
  type Action,
  type ActionInput,
  type Connector,
  type ConnectorDocument,
  type ConnectorEvent,
  type CreateConnector,
  type EventInput,
  type UpdateConnector,
} from '../../domain/connector.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { didYouMean } from '../../text.ts';
import { recordAudit } from '../audit/audit.service.ts';

function checkAction(action: ActionInput): void {
  const names = new Set<string>();
  for (const p of action.parameters) {
    if (names.has(p.name))
      throw new AppError(
        'validation_failed',
        `action ${action.slug}: parameter ${p.name} appears twice`,
      );
    names.add(p.name);
  }
  for (const match of action.path.matchAll(/\{([^}]+)\}/g)) {
    const name = match[1] ?? '';
    if (!action.parameters.some((p) => p.in === 'path' && (p.wireName ?? p.name) === name)) {
      throw new AppError(
        'validation_failed',
        `action ${action.slug}: path ${action.path} uses {${name}} but no path parameter is named ${name}`,
      );
    }
  }
  if (action.parameters.filter((p) => p.in === 'body' && p.whole === true).length > 1) {
    throw new AppError(
      'validation_failed',
      `action ${action.slug}: only one parameter can be the whole body`,
    );
  }
}

/** Resolves a connector by id or slug inside an open transaction, with a hint when missing. */
export async function requireConnector(sql: Sql, ref: string): Promise<Connector> {
  const connector = await connectorsRepo.find(sql, { ref });
  if (connector) return connector;
  const slugs = await connectorsRepo.listSlugs(sql);
  throw new AppError('not_found', `no connector '${ref}'${didYouMean(ref, slugs)}`);
}

/** Resolves an action by id or slug inside an open transaction, with a hint when missing. */
export async function requireAction(sql: Sql, connector: Connector, ref: string): Promise<Action> {
  const action = await connectorsRepo.findAction(sql, { connectorId: connector.id, ref });
  if (action) return action;
  const slugs = (await connectorsRepo.listActions(sql, { connectorId: connector.id })).map(
    (a) => a.slug,
  );
  throw new AppError(
    'not_found',
    `connector '${connector.slug}' has no action '${ref}'${didYouMean(ref, slugs)}`,
  );
}

function slugTaken(slug: string): AppError {
  return new AppError(
    'conflict',
    `a connector with slug '${slug}' already exists; choose another slug or update that one`,
    {
      field: 'slug',
    },
  );
}

export async function createConnector({
  db,
  tenant,
  input,
}: {
  db: Database;
  tenant: Tenant;
  input: CreateConnector;
}): Promise<Connector> {
  requirePermission(tenant, 'connectors:create');
  try {
    return await db.tenant(tenant, async (sql) => {
      const id = await connectorsRepo.insert(sql, { orgId: tenant.orgId, input });
      await recordAudit(sql, {
        tenant,
        action: 'connector.create',
        resourceType: 'connector',
        resourceId: id,
        details: { slug: input.slug },
      });
      return requireConnector(sql, id);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw slugTaken(input.slug);
    throw error;
  }
}

export async function getConnector({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<Connector> {
  requirePermission(tenant, 'connectors:read');
  return db.tenant(tenant, (sql) => requireConnector(sql, ref));
}

export async function listConnectors({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<Connector[]> {
  requirePermission(tenant, 'connectors:read');
  return db.tenant(tenant, (sql) => connectorsRepo.list(sql));
}

export async function updateConnector({
  db,
  tenant,
  ref,
  input,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  input: UpdateConnector;
}): Promise<Connector> {
  requirePermission(tenant, 'connectors:update');
  return db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    await connectorsRepo.update(sql, { id: connector.id, input });
    await recordAudit(sql, {
      tenant,
      action: 'connector.update',
      resourceType: 'connector',
      resourceId: connector.id,
      details: { fields: Object.keys(input) },
    });
    return requireConnector(sql, connector.id);
  });
}

export async function deleteConnector({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<void> {
  requirePermission(tenant, 'connectors:delete');
  await db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    await connectorsRepo.remove(sql, { id: connector.id });
    await recordAudit(sql, {
      tenant,
      action: 'connector.delete',
      resourceType: 'connector',
      resourceId: connector.id,
      details: { slug: connector.slug },
    });
  });
}

export async function listActions({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<Action[]> {
  requirePermission(tenant, 'connectors:read');
  return db.tenant(tenant, async (sql) =>
    connectorsRepo.listActions(sql, { connectorId: (await requireConnector(sql, ref)).id }),
  );
}

export async function getAction({
  db,
  tenant,
  ref,
  action,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  action: string;
}): Promise<Action> {
  requirePermission(tenant, 'connectors:read');
  return db.tenant(tenant, async (sql) =>
    requireAction(sql, await requireConnector(sql, ref), action),
  );
}

/** Creates or replaces (by slug) one action. */
export async function putAction({
  db,
  tenant,
  ref,
  input,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  input: ActionInput;
}): Promise<Action> {
  requirePermission(tenant, 'connectors:update');
  checkAction(input);
  return db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    const action = await connectorsRepo.upsertAction(sql, {
      orgId: tenant.orgId,
      connectorId: connector.id,
      action: input,
      inputSchema: deriveInputSchema(input),
    });
    await recordAudit(sql, {
      tenant,
      action: 'connector.action.put',
      resourceType: 'connector_action',
      resourceId: action.id,
      details: { connector: connector.slug, slug: input.slug },
    });
    return action;
  });
}

export async function deleteAction({
  db,
  tenant,
  ref,
  action,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  action: string;
}): Promise<void> {
  requirePermission(tenant, 'connectors:update');
  await db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    const found = await requireAction(sql, connector, action);
    await connectorsRepo.removeAction(sql, { connectorId: connector.id, id: found.id });
    await recordAudit(sql, {
      tenant,
      action: 'connector.action.delete',
      resourceType: 'connector_action',
      resourceId: found.id,
      details: { connector: connector.slug, slug: found.slug },
    });
  });
}

export async function listEvents({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<ConnectorEvent[]> {
  requirePermission(tenant, 'connectors:read');
  return db.tenant(tenant, async (sql) =>
    connectorsRepo.listEvents(sql, { connectorId: (await requireConnector(sql, ref)).id }),
  );
}

export async function putEvent({
  db,
  tenant,
  ref,
  input,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  input: EventInput;
}): Promise<ConnectorEvent> {
  requirePermission(tenant, 'connectors:update');
  return db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    const event = await connectorsRepo.upsertEvent(sql, {
      orgId: tenant.orgId,
      connectorId: connector.id,
      event: input,
    });
    await recordAudit(sql, {
      tenant,
      action: 'connector.event.put',
      resourceType: 'connector_event',
      resourceId: event.id,
      details: { connector: connector.slug, name: input.name },
    });
    return event;
  });
}

export async function deleteEvent({
  db,
  tenant,
  ref,
  event,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  event: string;
}): Promise<void> {
  requirePermission(tenant, 'connectors:update');
  await db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    const found = await connectorsRepo.findEvent(sql, { connectorId: connector.id, ref: event });
    if (!found)
      throw new AppError('not_found', `connector '${connector.slug}' has no event '${event}'`);
    await connectorsRepo.removeEvent(sql, { connectorId: connector.id, id: found.id });
    await recordAudit(sql, {
      tenant,
      action: 'connector.event.delete',
      resourceType: 'connector_event',
      resourceId: found.id,
      details: { connector: connector.slug, name: found.name },
    });
  });
}

function stripStored<
  T extends { id: string; connectorId: string; createdAt: string; updatedAt: string },
>(row: T): Omit<T, 'id' | 'connectorId' | 'createdAt' | 'updatedAt'> {
  const { id: _id, connectorId: _c, createdAt: _a, updatedAt: _u, ...rest } = row;
  return rest;
}

/** The whole definition as one versioned document (no credentials: there are none in it). */
export async function exportConnector({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<ConnectorDocument> {
  requirePermission(tenant, 'connectors:read');
  return db.tenant(tenant, async (sql) => {
    const c = await requireConnector(sql, ref);
    const actions = await connectorsRepo.listActions(sql, { connectorId: c.id });
    const events = await connectorsRepo.listEvents(sql, { connectorId: c.id });
    return {
      weftConnector: CONNECTOR_FORMAT_VERSION,
      connector: {
        slug: c.slug,
        name: c.name,
        ...(c.description !== null && { description: c.description }),
        ...(c.domain !== null && { domain: c.domain }),
        visibility: c.visibility,
        ...(c.iconUrl !== null && { iconUrl: c.iconUrl }),
        ...(c.baseUrl !== null && { baseUrl: c.baseUrl }),
        serverVariables: c.serverVariables,
        authMethods: c.authMethods,
        ...(c.rateLimit !== null && { rateLimit: c.rateLimit }),
      },
      actions: actions.map((a) => {
        const stored = stripStored(a);
        // A schema that merely restates the parameters is left out, so documents stay as written.
        const { inputSchema, ...rest } = stored;
        const derived = deriveInputSchema({
          ...rest,
          inputSchema: undefined,
        });
        return isDeepStrictEqual(derived, inputSchema) ? rest : stored;
      }),
      events: events.map((e) => stripStored(e)),
    };
  });
}

/**
 * Creates a connector from a document, or with `replace` overwrites the one with the same slug
 * (actions and events not in the document are removed). All or nothing.
 */
export async function importConnectorDocument({
  db,
  tenant,
  document,
  replace,
}: {
  db: Database;
  tenant: Tenant;
  document: ConnectorDocument;
  replace: boolean;
}): Promise<Connector> {
  requirePermission(tenant, 'connectors:create');
  document.actions.forEach(checkAction);
  try {
    return await db.tenant(tenant, async (sql) => {
      const existing = await connectorsRepo.find(sql, { ref: document.connector.slug });
      if (existing && !replace) throw slugTaken(document.connector.slug);
      let id: string;
      if (existing) {
        id = existing.id;
        const c = document.connector;
        await connectorsRepo.update(sql, {
          id,
          input: {
            name: c.name,
            description: c.description ?? null,
            domain: c.domain ?? null,
            visibility: c.visibility,
            iconUrl: c.iconUrl ?? null,
            baseUrl: c.baseUrl ?? null,
            serverVariables: c.serverVariables,
            authMethods: c.authMethods,
            rateLimit: c.rateLimit ?? null,
          },
        });
        await connectorsRepo.removeAllActions(sql, { connectorId: id });
        await connectorsRepo.removeAllEvents(sql, { connectorId: id });
      } else {
        id = await connectorsRepo.insert(sql, { orgId: tenant.orgId, input: document.connector });
      }
      for (const action of document.actions) {
        await connectorsRepo.upsertAction(sql, {
          orgId: tenant.orgId,
          connectorId: id,
          action,
          inputSchema: deriveInputSchema(action),
        });
      }
      for (const event of document.events) {
        await connectorsRepo.upsertEvent(sql, { orgId: tenant.orgId, connectorId: id, event });
      }
      await recordAudit(sql, {
        tenant,
        action: existing ? 'connector.replace' : 'connector.import',
        resourceType: 'connector',
        resourceId: id,
        details: {
          slug: document.connector.slug,
          actions: document.actions.length,
          events: document.events.length,
        },
      });
      return requireConnector(sql, id);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw slugTaken(document.connector.slug);
    throw error;
  }
}
