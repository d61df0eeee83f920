// The MCP clients a person authorized (their OAuth grants), and revoking one: every access and
// refresh token of the grant stops working at once (tokens are checked against the database on
// every call, nothing caches them).
import type { Database } from '../../db/database.ts';
import * as accountRepo from '../../db/repositories/account.repo.ts';
import type { McpClientGrant } from '../../domain/account.ts';
import type { Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { callerPerson } from '../people/account.service.ts';

export async function listOwnMcpClients({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<McpClientGrant[]> {
  const userId = callerPerson(tenant);
  const grants = await db.tenant(tenant, (sql) => accountRepo.listLiveGrantsOf(sql, { userId }));
  const names = await db.owner((sql) =>
    accountRepo.clientNames(sql, { clientIds: [...new Set(grants.map((g) => g.clientId))] }),
  );
  return grants.map((g) => ({
    id: g.grantId,
    clientId: g.clientId,
    clientName: names.get(g.clientId) ?? null,
    resource: g.resource,
    createdAt: g.createdAt.toISOString(),
    lastRefreshedAt: g.lastIssuedAt.toISOString(),
    expiresAt: g.expiresAt.toISOString(),
  }));
}

export async function revokeOwnMcpClient({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<void> {
  const userId = callerPerson(tenant);
  await db.tenant(tenant, async (sql) => {
    const revoked = await accountRepo.revokeGrantOf(sql, { userId, grantId: id });
    if (!revoked) {
      throw new AppError('not_found', `no MCP client grant ${id} of yours; list your MCP clients`);
    }
    await recordAudit(sql, {
      tenant,
      action: 'mcp_oauth.revoke',
      resourceType: 'mcp_oauth_client',
      resourceId: revoked.clientId,
      details: { reason: 'the person revoked the grant', grantId: id, userId },
    });
  });
}
