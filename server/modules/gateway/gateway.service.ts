/**
 * What each customer's MCP gateway offers. After an import nothing that writes is offered: a
 * connector nobody chose for offers its GET actions only, so a customer's agent cannot create,
 * change or delete anything until someone decides it may. Choosing is per connector (the
 * action slugs to offer); workflows are offered by slug, each as one tool.
 */
import type { Database, Sql } from '../../db/database.ts';
import * as connectorsRepo from '../../db/repositories/connectors.repo.ts';
import * as customersRepo from '../../db/repositories/customers.repo.ts';
import * as offersRepo from '../../db/repositories/gateway-offers.repo.ts';
import {
  offeredByDefault,
  workflowToolName,
  type GatewayOffer,
  type SetGatewayOffer,
  type StoredGatewayOffer,
} from '../../domain/gateway.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { didYouMean } from '../../text.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireConnector } from '../connectors/connectors.service.ts';
import { requireWorkflow } from '../workflows/workflows.service.ts';

const EMPTY: StoredGatewayOffer = { actions: {}, workflows: [] };

async function requireCustomer(sql: Sql, customerId: string): Promise<void> {
  if ((await customersRepo.findById(sql, { id: customerId })) === null)
    throw new AppError('not_found', `no customer ${customerId}; list_customers shows them`);
}

/** The stored choice for the tenant's customer (the gateway reads it on every listing). */
export async function offerFor({
  db,
  tenant,
  customerId,
}: {
  db: Database;
  tenant: Tenant;
  customerId: string;
}): Promise<StoredGatewayOffer> {
  return db.tenant(tenant, async (sql) => (await offersRepo.find(sql, { customerId })) ?? EMPTY);
}

/** Whether the gateway offers an action, given the stored choice. */
export function isOffered({
  offer,
  connector,
  action,
}: {
  offer: StoredGatewayOffer;
  connector: string;
  action: { slug: string; method: string };
}): boolean {
  const chosen = Object.hasOwn(offer.actions, connector) ? offer.actions[connector] : undefined;
  return chosen === undefined ? offeredByDefault(action.method) : chosen.includes(action.slug);
}

async function describeOffer(
  sql: Sql,
  customerId: string,
  offer: StoredGatewayOffer,
): Promise<GatewayOffer> {
  const connectors = await connectorsRepo.list(sql);
  const out: GatewayOffer['connectors'] = [];
  for (const connector of connectors) {
    const actions = await connectorsRepo.listActions(sql, { connectorId: connector.id });
    const offered = actions.filter((a) =>
      isOffered({ offer, connector: connector.slug, action: a }),
    );
    out.push({
      connector: connector.slug,
      chosen: Object.hasOwn(offer.actions, connector.slug),
      offered: offered.map((a) => a.slug),
      notOffered: actions.filter((a) => !offered.includes(a)).map((a) => a.slug),
    });
  }
  return {
    customerId,
    connectors: out,
    workflows: offer.workflows.map((w) => ({ workflow: w, tool: workflowToolName(w) })),
  };
}

export async function getGatewayOffer({
  db,
  tenant,
  customerId,
}: {
  db: Database;
  tenant: Tenant;
  customerId: string;
}): Promise<GatewayOffer> {
  requirePermission(tenant, 'customers:read');
  return db.tenant(tenant, async (sql) => {
    await requireCustomer(sql, customerId);
    return describeOffer(sql, customerId, (await offersRepo.find(sql, { customerId })) ?? EMPTY);
  });
}

/** Changes the named connectors' choices and, when given, the workflow list; checks every name. */
export async function setGatewayOffer({
  db,
  tenant,
  customerId,
  change,
}: {
  db: Database;
  tenant: Tenant;
  customerId: string;
  change: SetGatewayOffer;
}): Promise<GatewayOffer> {
  requirePermission(tenant, 'customers:write');
  return db.tenant(tenant, async (sql) => {
    await requireCustomer(sql, customerId);
    const current = (await offersRepo.find(sql, { customerId })) ?? EMPTY;
    const actions = { ...current.actions };
    for (const [ref, chosen] of Object.entries(change.actions ?? {})) {
      const connector = await requireConnector(sql, ref);
      if (chosen === null) {
        delete actions[connector.slug];
        continue;
      }
      const known = (await connectorsRepo.listActions(sql, { connectorId: connector.id })).map(
        (a) => a.slug,
      );
      const unknown = chosen.filter((slug) => !known.includes(slug));
      if (unknown.length > 0)
        throw new AppError(
          'validation_failed',
          `connector '${connector.slug}' has no action '${unknown[0]}'${didYouMean(unknown[0] ?? '', known)}`,
          { field: `actions.${ref}`, unknown },
        );
      actions[connector.slug] = [...new Set(chosen)];
    }
    const workflows =
      change.workflows === undefined
        ? current.workflows
        : await Promise.all(
            [...new Set(change.workflows)].map(async (w) => (await requireWorkflow(sql, w)).slug),
          );
    const offer = { actions, workflows };
    await offersRepo.upsert(sql, { orgId: tenant.orgId, customerId, offer });
    await recordAudit(sql, {
      tenant,
      action: 'gateway.offer.set',
      resourceType: 'customer',
      resourceId: customerId,
      customerId,
      details: { connectors: Object.keys(change.actions ?? {}), workflows },
    });
    return describeOffer(sql, customerId, offer);
  });
}
