/**
 * The connect widget's own API, for the holder of an embed token: who the widget is for and
 * what they can connect, connecting (a form of credentials tested before they are kept, or
 * OAuth in a popup), disconnecting, and recent sync status in plain words. Every call runs as
 * the End User tenant of the token's customer, so row-level security confines it to that
 * customer whatever ids it is given.
 */
import type { Keyring } from '../../crypto/envelope.ts';
import { isUuid, type Database } from '../../db/database.ts';
import * as customersRepo from '../../db/repositories/customers.repo.ts';
import * as embedRepo from '../../db/repositories/embed.repo.ts';
import * as executionsRepo from '../../db/repositories/executions.repo.ts';
import type { Connection } from '../../domain/connection.ts';
import { credentialFieldsOf, type AuthMethod, type Connector } from '../../domain/connector.ts';
import type { Widget, WidgetConnectorView, WidgetSession } from '../../domain/embed.ts';
import type { Execution } from '../../domain/workflow.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import {
  createConnection,
  deleteConnection,
  getConnection,
  testConnection,
} from '../connections/connections.service.ts';
import { startAuthorization } from '../connections/oauth.service.ts';
import type { ConnectionRuntime } from '../connections/runtime.ts';
import { requireConnector } from '../connectors/connectors.service.ts';
import { activate, deactivate, type ActivationDeps } from './activation.ts';
import { EMBED_PERMISSIONS, verifyToken } from './tokens.ts';

/** An opened embed token: the tenant it acts as and the widget it opens. */
export interface EmbedSession {
  tenant: Tenant;
  widget: Widget;
  customerId: string;
  endUserId: string | null;
  expiresAt: Date;
}

export interface SessionDeps extends ActivationDeps {
  runtime: ConnectionRuntime;
}

/** Verifies the token (signature, expiry, revocation) and builds its End User tenant. */
export async function openSession({
  db,
  keyring,
  token,
  requestId,
}: {
  db: Database;
  keyring: Keyring;
  token: string;
  requestId: string | null;
}): Promise<EmbedSession> {
  const claims = verifyToken({ keyring, token });
  const tenant: Tenant = {
    orgId: claims.org,
    customerId: claims.cus,
    mode: null,
    actor: {
      type: 'user',
      id: claims.usr,
      label: `connect widget (token ${claims.jti.slice(0, 8)})`,
      userId: null,
    },
    permissions: new Set(EMBED_PERMISSIONS),
    requestId,
  };
  const widget = await db.tenant(tenant, async (sql) => {
    const stored = await embedRepo.findToken(sql, { jti: claims.jti });
    if (!stored || stored.widgetId !== claims.wid || stored.customerId !== claims.cus) {
      throw new AppError('unauthorized', 'this connect link is not valid; open it again', {
        reason: 'unknown_token',
      });
    }
    if (stored.revokedAt !== null) {
      throw new AppError('unauthorized', 'this connect link was withdrawn; open it again', {
        reason: 'revoked',
      });
    }
    return embedRepo.findWidget(sql, { id: claims.wid, slug: null });
  });
  if (!widget) {
    throw new AppError('unauthorized', 'this widget no longer exists', { reason: 'no_widget' });
  }
  return {
    tenant,
    widget,
    customerId: claims.cus,
    endUserId: claims.usr,
    expiresAt: new Date(claims.exp * 1000),
  };
}

function entryOf(widget: Widget, connector: string) {
  const entry = widget.connectors.find((c) => c.connector === connector);
  if (!entry) {
    throw new AppError(
      'not_found',
      `this widget does not offer '${connector}'; it offers ${widget.connectors.map((c) => c.connector).join(', ')}`,
    );
  }
  return entry;
}

function methodOf(connector: Connector, key: string | undefined): AuthMethod {
  const method =
    key === undefined ? connector.authMethods[0] : connector.authMethods.find((m) => m.key === key);
  if (!method) throw new AppError('conflict', `connector '${connector.slug}' lost its auth method`);
  return method;
}

function labelOf(name: string): string {
  const words = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .replace(/\b(api|url|id)\b/g, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function ago(from: Date, now: number): string {
  const seconds = Math.max(0, Math.round((now - from.getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** A run in words a customer can read: "Sync contacts finished 5 minutes ago". */
export function describeRun(run: Execution, now = Date.now()): string {
  const name = labelOf(run.workflowSlug ?? 'sync');
  const when = ago(new Date(run.finishedAt ?? run.createdAt), now);
  switch (run.status) {
    case 'completed':
      return `${name} finished ${when}`;
    case 'failed':
      return `${name} failed ${when}: ${run.error?.message.slice(0, 160) ?? 'unknown error'}`;
    case 'timeout':
      return `${name} took too long and was stopped ${when}`;
    case 'running':
      return `${name} is running (started ${when})`;
    case 'queued':
      return `${name} is waiting to run (since ${when})`;
  }
}

async function connectorViews({
  deps,
  session,
}: {
  deps: SessionDeps;
  session: EmbedSession;
}): Promise<WidgetConnectorView[]> {
  const { tenant, widget } = session;
  requirePermission(tenant, 'connections:read');
  const { links, runs, connectors } = await deps.db.tenant(tenant, async (sql) => ({
    links: await embedRepo.listWidgetConnections(sql, {
      widgetId: widget.id,
      customerId: session.customerId,
      endUserId: session.endUserId,
    }),
    runs: await executionsRepo.list(sql, {
      filters: { customerId: session.customerId },
      limit: 50,
      after: null,
    }),
    connectors: await (async () => {
      const out: Connector[] = [];
      for (const c of widget.connectors) out.push(await requireConnector(sql, c.connector));
      return out;
    })(),
  }));
  const views: WidgetConnectorView[] = [];
  for (const [i, entry] of widget.connectors.entries()) {
    const connector = connectors[i] as Connector;
    const method = methodOf(connector, entry.authMethod);
    const link = links.find((l) => l.connectorSlug === connector.slug);
    // Outside the transaction above: getConnection opens its own (PGlite has one connection).
    const found = link
      ? await getConnection({ runtime: deps.runtime, tenant, id: link.connectionId }).catch(
          () => null,
        )
      : null;
    const connection: WidgetConnectorView['connection'] = found
      ? {
          id: found.id,
          status: found.status,
          statusReason: found.statusReason,
          createdAt: found.createdAt,
        }
      : null;
    const slugs = new Set(entry.workflows.map((w) => w.workflow));
    views.push({
      connector: connector.slug,
      name: connector.name,
      iconUrl: connector.iconUrl,
      authType: method.type === 'oauth2' ? 'oauth2' : method.type === 'none' ? 'none' : 'form',
      fields: credentialFieldsOf(method).map((f) => ({
        name: f.name,
        label:
          (method.type === 'custom'
            ? method.fields.find((c) => c.name === f.name)?.label
            : undefined) ?? labelOf(f.name),
        secret: f.secret,
        required: f.required,
      })),
      connection,
      activity:
        connection === null
          ? []
          : runs
              .filter(
                (r) =>
                  (r.workflowSlug !== undefined && slugs.has(r.workflowSlug)) ||
                  slugs.has(r.workflowId),
              )
              .slice(0, 5)
              .map((r) => ({ text: describeRun(r), status: r.status, at: r.createdAt })),
    });
  }
  return views;
}

export async function getSession({
  deps,
  session,
}: {
  deps: SessionDeps;
  session: EmbedSession;
}): Promise<WidgetSession> {
  const customer = await deps.db.tenant(session.tenant, (sql) =>
    customersRepo.findById(sql, { id: session.customerId }),
  );
  if (!customer) throw new AppError('not_found', 'this customer no longer exists');
  await activateCompleted({ deps, session, customerName: customer.name });
  const { widget } = session;
  return {
    widget: {
      name: widget.name,
      level: widget.level,
      branding: widget.branding,
      allowedOrigins: widget.allowedOrigins,
      onboarding: widget.onboarding.enabled,
    },
    customer: { id: customer.id, name: customer.name },
    endUserId: session.endUserId,
    expiresAt: session.expiresAt.toISOString(),
    connectors: await connectorViews({ deps, session }),
  };
}

/**
 * Activates connections whose OAuth finished while nobody was there to say so (the widget was
 * closed before the popup reported back): each is claimed once, so this never doubles up with
 * completeWidgetOAuth.
 */
async function activateCompleted({
  deps,
  session,
  customerName,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  customerName: string;
}): Promise<void> {
  const links = await deps.db.tenant(session.tenant, (sql) =>
    embedRepo.listWidgetConnections(sql, {
      widgetId: session.widget.id,
      customerId: session.customerId,
      endUserId: session.endUserId,
    }),
  );
  for (const link of links.filter((l) => l.activation.claimedAt === undefined)) {
    const connection = await getConnection({
      runtime: deps.runtime,
      tenant: session.tenant,
      id: link.connectionId,
    }).catch(() => null);
    if (connection?.status !== 'active') continue;
    await activate({
      deps,
      orgId: session.tenant.orgId,
      customerId: session.customerId,
      widget: session.widget,
      connectionId: link.connectionId,
      connector: link.connectorSlug,
      customerName,
    });
  }
}

/** The widget's connection to `connector` for this customer (and end user), if any. */
async function existingLink({
  deps,
  session,
  connector,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  connector: string;
}): Promise<{ link: embedRepo.WidgetConnectionRecord; connection: Connection } | null> {
  const links = await deps.db.tenant(session.tenant, (sql) =>
    embedRepo.listWidgetConnections(sql, {
      widgetId: session.widget.id,
      customerId: session.customerId,
      endUserId: session.endUserId,
    }),
  );
  const link = links.find((l) => l.connectorSlug === connector);
  if (!link) return null;
  const connection = await getConnection({
    runtime: deps.runtime,
    tenant: session.tenant,
    id: link.connectionId,
  }).catch(() => null);
  return connection ? { link, connection } : null;
}

/**
 * Makes room for a new connection to `connector`: an existing one that works is a conflict; one
 * left pending or broken (an abandoned OAuth popup, a revoked grant) is removed first.
 */
async function clearStale({
  deps,
  session,
  connector,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  connector: string;
}): Promise<void> {
  const existing = await existingLink({ deps, session, connector });
  if (!existing) return;
  if (existing.connection.status === 'active') {
    throw new AppError('conflict', `${connector} is already connected; disconnect it first`);
  }
  await disconnect({ deps, session, connectionId: existing.connection.id });
}

/** The provider's own words from the start of its answer (`message`, `error_description`, …). */
function providerReason(excerpt: string | undefined, fallback: string): string {
  if (!excerpt) return fallback;
  try {
    const body = JSON.parse(excerpt) as Record<string, unknown>;
    for (const key of ['message', 'error_description', 'detail', 'error', 'title']) {
      const value = body[key];
      if (typeof value === 'string' && value.trim()) return value.trim().slice(0, 300);
    }
  } catch {
    // Not JSON (or cut short): the text itself.
  }
  return excerpt.trim().slice(0, 300) || fallback;
}

/**
 * Connects with a form of credentials (API key, username and password, …): the connection is
 * made, tested with a harmless call, and kept only if the provider accepts it; a refused key
 * is deleted at once and the provider's reason returned. Then the widget's activation runs.
 */
export async function connectWithCredentials({
  deps,
  session,
  connector: ref,
  credentials,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  connector: string;
  credentials: Record<string, string>;
}): Promise<{ connection: WidgetConnectorView; activation: embedRepo.Activation }> {
  const { tenant, widget } = session;
  requirePermission(tenant, 'connections:create');
  const entry = entryOf(widget, ref);
  const connector = await deps.db.tenant(tenant, (sql) => requireConnector(sql, entry.connector));
  const method = methodOf(connector, entry.authMethod);
  if (method.type === 'oauth2') {
    throw new AppError('bad_request', `${connector.name} connects through its sign-in page`);
  }
  await clearStale({ deps, session, connector: connector.slug });
  const created = await createConnection({
    runtime: deps.runtime,
    tenant,
    input: {
      connector: connector.slug,
      customerId: session.customerId,
      name: `${connector.name}${session.endUserId ? ` (${session.endUserId})` : ''}`,
      authMethod: method.key,
      credentials,
      config: {},
    },
  });
  const test = await testConnection({ runtime: deps.runtime, tenant, connectionId: created.id });
  if (!test.ok) {
    await deleteConnection({ runtime: deps.runtime, tenant, id: created.id });
    const reason = providerReason(test.bodyExcerpt, test.message);
    throw new AppError('validation_failed', `${connector.name} refused these details: ${reason}`, {
      status: test.status,
      reason,
    });
  }
  return finishConnect({ deps, session, connectionId: created.id, connector: connector.slug });
}

async function finishConnect({
  deps,
  session,
  connectionId,
  connector,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  connectionId: string;
  connector: string;
}): Promise<{ connection: WidgetConnectorView; activation: embedRepo.Activation }> {
  const customerName = await deps.db.tenant(session.tenant, async (sql) => {
    await embedRepo.insertWidgetConnection(sql, {
      orgId: session.tenant.orgId,
      connectionId,
      widgetId: session.widget.id,
      customerId: session.customerId,
      endUserId: session.endUserId,
      connectorSlug: connector,
    });
    return (await customersRepo.findById(sql, { id: session.customerId }))?.name ?? 'customer';
  });
  const activation = await activate({
    deps,
    orgId: session.tenant.orgId,
    customerId: session.customerId,
    widget: session.widget,
    connectionId,
    connector,
    customerName,
  });
  const view = (await connectorViews({ deps, session })).find((v) => v.connector === connector);
  if (!view) throw new AppError('not_found', `this widget does not offer '${connector}'`);
  return { connection: view, activation };
}

/**
 * Starts OAuth for `connector` (the widget opens the URL in a popup). The provider sends the
 * user back to the callback, which redirects to `returnUrl` (the widget's own done page).
 */
export async function startWidgetOAuth({
  deps,
  session,
  connector: ref,
  baseUrl,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  connector: string;
  baseUrl: string;
}): Promise<{ url: string; connectionId: string }> {
  const { tenant, widget } = session;
  requirePermission(tenant, 'connections:create');
  const entry = entryOf(widget, ref);
  const connector = await deps.db.tenant(tenant, (sql) => requireConnector(sql, entry.connector));
  const method = methodOf(connector, entry.authMethod);
  if (method.type !== 'oauth2') {
    throw new AppError('bad_request', `${connector.name} connects with a form, not a sign-in page`);
  }
  await clearStale({ deps, session, connector: connector.slug });
  const started = await startAuthorization({
    runtime: deps.runtime,
    tenant,
    connector: connector.slug,
    customerId: session.customerId,
    connectionId: undefined,
    redirectUri: `${baseUrl}/api/v1/oauth/callback`,
    returnUrl: `${baseUrl}/embed/oauth-done`,
  });
  await deps.db.tenant(tenant, (sql) =>
    embedRepo.insertWidgetConnection(sql, {
      orgId: tenant.orgId,
      connectionId: started.connectionId,
      widgetId: widget.id,
      customerId: session.customerId,
      endUserId: session.endUserId,
      connectorSlug: connector.slug,
    }),
  );
  const url = new URL(started.url);
  // The widget may ask for fewer or other scopes than the org's OAuth app does by default.
  if (entry.scopes.length > 0)
    url.searchParams.set('scope', entry.scopes.join(method.scopeSeparator));
  return { url: url.toString(), connectionId: started.connectionId };
}

/** After the OAuth popup reports back: checks the connection is now active, then activates. */
export async function completeWidgetOAuth({
  deps,
  session,
  connectionId,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  connectionId: string;
}): Promise<{ connection: WidgetConnectorView; activation: embedRepo.Activation }> {
  requirePermission(session.tenant, 'connections:create');
  const link = await requireLink({ deps, session, connectionId });
  const connection = await getConnection({
    runtime: deps.runtime,
    tenant: session.tenant,
    id: connectionId,
  });
  if (connection.status !== 'active') {
    throw new AppError(
      'conflict',
      `the connection is ${connection.status}${connection.statusReason ? ` (${connection.statusReason})` : ''}; try connecting again`,
    );
  }
  return finishConnect({ deps, session, connectionId, connector: link.connectorSlug });
}

async function requireLink({
  deps,
  session,
  connectionId,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  connectionId: string;
}): Promise<embedRepo.WidgetConnectionRecord> {
  const link = isUuid(connectionId)
    ? await deps.db.tenant(session.tenant, (sql) =>
        embedRepo.findWidgetConnection(sql, { connectionId }),
      )
    : null;
  // Another customer's connection is invisible here (RLS); another end user's or widget's is
  // refused the same way, so neither can be told apart from one that does not exist.
  if (
    !link ||
    link.widgetId !== session.widget.id ||
    link.customerId !== session.customerId ||
    link.endUserId !== session.endUserId
  ) {
    throw new AppError('not_found', `no connection ${connectionId} in this widget`);
  }
  return link;
}

/** Deactivates (runs, triggers, provider subscriptions), then deletes the connection. */
export async function disconnect({
  deps,
  session,
  connectionId,
}: {
  deps: SessionDeps;
  session: EmbedSession;
  connectionId: string;
}): Promise<{ removedTriggers: string[]; runs: string[]; problems: string[] }> {
  requirePermission(session.tenant, 'connections:delete');
  const link = await requireLink({ deps, session, connectionId });
  const undone = await deactivate({
    deps,
    orgId: session.tenant.orgId,
    customerId: session.customerId,
    widget: session.widget,
    connectionId,
    connector: link.connectorSlug,
  });
  const { revocation } = await deleteConnection({
    runtime: deps.runtime,
    tenant: session.tenant,
    id: connectionId,
  });
  if (revocation?.revoked === false && revocation.problem !== undefined)
    undone.problems.push(`the app's tokens may still be valid: ${revocation.problem}`);
  return undone;
}
