/**
 * Widgets (what an org lets its customers connect, how it looks, where it may be framed) and
 * the embed tokens that open one for a customer. The widget's own API, used with such a token,
 * is in session.service.ts; what connecting sets up is in activation.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Keyring } from '../../crypto/envelope.ts';
import { isUuid, type Database, type Sql } from '../../db/database.ts';
import * as connectorsRepo from '../../db/repositories/connectors.repo.ts';
import * as customersRepo from '../../db/repositories/customers.repo.ts';
import * as embedRepo from '../../db/repositories/embed.repo.ts';
import type {
  CreateWidget,
  MintedToken,
  MintToken,
  UpdateWidget,
  Widget,
  WidgetConnector,
} from '../../domain/embed.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireConnector } from '../connectors/connectors.service.ts';
import { compileJsonata } from '../triggers/filters.ts';
import { validateSchedule } from '../../runtime/scheduler/schedule.ts';
import { requireWorkflow } from '../workflows/workflows.service.ts';
import { signToken } from './tokens.ts';

export async function requireWidget(sql: Sql, ref: string): Promise<Widget> {
  const found = await embedRepo.findWidget(sql, { id: isUuid(ref) ? ref : null, slug: ref });
  if (found) return found;
  const slugs = (await embedRepo.listWidgets(sql)).map((w) => w.slug);
  throw new AppError(
    'not_found',
    `no widget '${ref}'${slugs.length > 0 ? `; widgets: ${slugs.join(', ')}` : '; create one first'}`,
  );
}

/** Checks every reference of a widget's connectors: connectors, auth methods, events, workflows. */
async function checkConnectors(sql: Sql, connectors: readonly WidgetConnector[]): Promise<void> {
  const seen = new Set<string>();
  for (const [i, entry] of connectors.entries()) {
    const connector = await requireConnector(sql, entry.connector);
    if (seen.has(connector.slug)) {
      throw new AppError(
        'validation_failed',
        `connectors[${i}]: '${connector.slug}' is listed twice`,
      );
    }
    seen.add(connector.slug);
    const method =
      entry.authMethod === undefined
        ? connector.authMethods[0]
        : connector.authMethods.find((m) => m.key === entry.authMethod);
    if (method === undefined) {
      throw new AppError(
        'validation_failed',
        `connectors[${i}]: connector '${connector.slug}' has no auth method ${entry.authMethod === undefined ? '' : `'${entry.authMethod}' `}(it has: ${connector.authMethods.map((m) => m.key).join(', ') || 'none'})`,
      );
    }
    if (method.type === 'oauth2' && method.grant !== 'authorization_code') {
      throw new AppError(
        'validation_failed',
        `connectors[${i}]: a customer cannot connect through the ${method.grant} grant; pick an authorization-code, key or password method`,
      );
    }
    const events = new Set(
      (await connectorsRepo.listEvents(sql, { connectorId: connector.id })).map((e) => e.name),
    );
    for (const [j, flow] of entry.workflows.entries()) {
      const workflow = await requireWorkflow(sql, flow.workflow);
      // Customers connect at any time: what their connection starts must already run there.
      if (workflow.deployments[flow.environment] === undefined) {
        throw new AppError(
          'validation_failed',
          `connectors[${i}].workflows[${j}]: workflow '${workflow.slug}' is not deployed to ${flow.environment}; publish and deploy it first (deploy_workflow)`,
        );
      }
      for (const event of flow.events) {
        if (!events.has(event)) {
          throw new AppError(
            'validation_failed',
            `connectors[${i}].workflows[${j}]: connector '${connector.slug}' has no event '${event}' (it has: ${[...events].join(', ') || 'none'})`,
          );
        }
      }
      if (flow.schedule !== undefined)
        validateSchedule({ schedule: flow.schedule, timezone: 'UTC' });
    }
  }
}

function checkOnboarding(onboarding: Widget['onboarding']): void {
  for (const [i, choice] of onboarding.filters.entries()) {
    if (choice.filter !== undefined)
      compileJsonata({ text: choice.filter, field: `onboarding.filters[${i}].filter` });
  }
}

export async function createWidget({
  db,
  tenant,
  input,
}: {
  db: Database;
  tenant: Tenant;
  input: CreateWidget;
}): Promise<Widget> {
  requirePermission(tenant, 'connectors:share');
  checkOnboarding(input.onboarding);
  return db.tenant(tenant, async (sql) => {
    await checkConnectors(sql, input.connectors);
    if (await embedRepo.findWidget(sql, { id: null, slug: input.slug })) {
      throw new AppError('conflict', `a widget '${input.slug}' exists; update it instead`);
    }
    const widget = await embedRepo.insertWidget(sql, {
      ...input,
      orgId: tenant.orgId,
      id: randomUUID(),
    });
    await recordAudit(sql, {
      tenant,
      action: 'widget.create',
      resourceType: 'widget',
      resourceId: widget.id,
      details: { slug: widget.slug, connectors: widget.connectors.map((c) => c.connector) },
    });
    return widget;
  });
}

export async function updateWidget({
  db,
  tenant,
  ref,
  input,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  input: UpdateWidget;
}): Promise<Widget> {
  requirePermission(tenant, 'connectors:share');
  if (input.onboarding !== undefined) checkOnboarding(input.onboarding);
  return db.tenant(tenant, async (sql) => {
    const current = await requireWidget(sql, ref);
    if (input.connectors !== undefined) await checkConnectors(sql, input.connectors);
    const updated = await embedRepo.updateWidget(sql, {
      id: current.id,
      name: input.name ?? current.name,
      level: input.level ?? current.level,
      connectors: input.connectors ?? current.connectors,
      branding: input.branding ?? current.branding,
      allowedOrigins: input.allowedOrigins ?? current.allowedOrigins,
      onboarding: input.onboarding ?? current.onboarding,
    });
    if (!updated) throw new AppError('not_found', `no widget '${ref}'`);
    await recordAudit(sql, {
      tenant,
      action: 'widget.update',
      resourceType: 'widget',
      resourceId: current.id,
      details: { fields: Object.keys(input) },
    });
    return updated;
  });
}

export async function getWidget({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<Widget> {
  requirePermission(tenant, 'connectors:read');
  return db.tenant(tenant, (sql) => requireWidget(sql, ref));
}

export async function listWidgets({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<Widget[]> {
  requirePermission(tenant, 'connectors:read');
  return db.tenant(tenant, (sql) => embedRepo.listWidgets(sql));
}

export async function deleteWidget({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<void> {
  requirePermission(tenant, 'connectors:share');
  await db.tenant(tenant, async (sql) => {
    const widget = await requireWidget(sql, ref);
    await embedRepo.deleteWidget(sql, { id: widget.id });
    await recordAudit(sql, {
      tenant,
      action: 'widget.delete',
      resourceType: 'widget',
      resourceId: widget.id,
      details: { slug: widget.slug },
    });
  });
}

/** Mints a short-lived token that opens `widget` for one customer (and end user). */
export async function mintToken({
  db,
  keyring,
  tenant,
  input,
  baseUrl,
}: {
  db: Database;
  keyring: Keyring;
  tenant: Tenant;
  input: MintToken;
  /** The public base URL of this server, for the hosted page's address. */
  baseUrl: string;
}): Promise<MintedToken> {
  requirePermission(tenant, 'connections:create');
  const jti = randomUUID();
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + input.ttlSeconds;
  const widget = await db.tenant(tenant, async (sql) => {
    const widget = await requireWidget(sql, input.widget);
    if (!(await customersRepo.findById(sql, { id: input.customerId }))) {
      throw new AppError('not_found', `no customer ${input.customerId}; create the customer first`);
    }
    if (widget.level === 'user' && input.endUserId === undefined) {
      throw new AppError(
        'validation_failed',
        `widget '${widget.slug}' makes user-level connections: give endUserId (your id for the customer's user)`,
      );
    }
    await embedRepo.insertToken(sql, {
      orgId: tenant.orgId,
      jti,
      widgetId: widget.id,
      customerId: input.customerId,
      endUserId: widget.level === 'user' ? (input.endUserId ?? null) : null,
      expiresAt: new Date(expiresAt * 1000),
    });
    await recordAudit(sql, {
      tenant,
      action: 'embed_token.create',
      resourceType: 'embed_token',
      resourceId: jti,
      customerId: input.customerId,
      details: { widget: widget.slug, ttlSeconds: input.ttlSeconds },
    });
    return widget;
  });
  const token = signToken({
    keyring,
    claims: {
      org: tenant.orgId,
      cus: input.customerId,
      wid: widget.id,
      usr: widget.level === 'user' ? (input.endUserId ?? null) : null,
      jti,
      iat: issuedAt,
      exp: expiresAt,
    },
  });
  return {
    token,
    jti,
    expiresAt: new Date(expiresAt * 1000).toISOString(),
    url: `${baseUrl}/embed?token=${encodeURIComponent(token)}`,
  };
}

export async function revokeToken({
  db,
  tenant,
  jti,
}: {
  db: Database;
  tenant: Tenant;
  jti: string;
}): Promise<void> {
  requirePermission(tenant, 'connections:create');
  await db.tenant(tenant, async (sql) => {
    if (!isUuid(jti) || !(await embedRepo.revokeToken(sql, { jti }))) {
      throw new AppError('not_found', `no embed token ${jti}`);
    }
    await recordAudit(sql, {
      tenant,
      action: 'embed_token.revoke',
      resourceType: 'embed_token',
      resourceId: jti,
    });
  });
}

/** Creates the widget `input.slug`, or replaces every field of the existing one. */
export async function configureWidget({
  db,
  tenant,
  input,
}: {
  db: Database;
  tenant: Tenant;
  input: CreateWidget;
}): Promise<{ widget: Widget; created: boolean }> {
  requirePermission(tenant, 'connectors:share');
  const exists = await db.tenant(tenant, (sql) =>
    embedRepo.findWidget(sql, { id: null, slug: input.slug }),
  );
  if (!exists) return { widget: await createWidget({ db, tenant, input }), created: true };
  const { slug, ...fields } = input;
  return { widget: await updateWidget({ db, tenant, ref: slug, input: fields }), created: false };
}

/** The HTML a customer-facing page needs to open `widget` (see the README's Connect widget). */
export function embedSnippet({ baseUrl }: { baseUrl: string }): string {
  return [
    `<script src="${baseUrl}/embed.js"></script>`,
    `<button id="connect-apps">Connect your apps</button>`,
    `<script>`,
    `  document.getElementById('connect-apps').addEventListener('click', async () => {`,
    `    const { token } = await (await fetch('/weft-token')).json();`,
    `    Weft.open({`,
    `      token,`,
    `      onEvent: (event) => console.log('weft', event.type, JSON.stringify(event)),`,
    `    });`,
    `  });`,
    `</script>`,
  ].join('\n');
}
