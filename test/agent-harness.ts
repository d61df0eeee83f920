// An in-process Weft for agent tests: a migrated database (real Postgres when TEST_DATABASE_URL
// is set, else PGlite), the services, an organization and its owner's tenant, and the agent's MCP
// client connected to the admin server for that tenant (app/agent-client.ts).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectAgentClient } from '../app/agent-client.ts';
import { createServices, type Services } from '../app/services.ts';
import { loadConfig } from '../server/config.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../server/crypto/envelope.ts';
import type { Tenant } from '../server/domain/tenant.ts';
import { createLogger } from '../server/logger.ts';
import { createOrganization, operatorContext } from '../server/modules/orgs/orgs.service.ts';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase, type TestDriver } from './db.ts';

export interface AgentHarness {
  database: TestDatabase;
  services: Services;
  tenant: Tenant;
  client: Client;
  close(): Promise<void>;
}

export async function startAgentHarness({
  driver = TEST_DRIVERS.at(-1) ?? 'pglite',
  allowlist = [],
}: {
  driver?: TestDriver;
  /** `host:port` of loopback servers the tools may reach. */
  allowlist?: readonly string[];
} = {}): Promise<AgentHarness> {
  const database = await createTestDatabase(driver);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    WEFT_RATE_LIMIT_PER_MINUTE: '1000000',
    ...(allowlist.length > 0 && { WEFT_SSRF_TEST_ALLOWLIST: allowlist.join(',') }),
  });
  const services = await createServices({
    config,
    logger: createLogger('silent'),
    db: database.db,
    keyring: createKeyring({ active: parseMasterKey(generateMasterKey()) }),
  });
  const org = await createOrganization({
    db: database.db,
    name: 'Agents',
    ownerEmail: 'owner@agents.test',
    actorLabel: 'test',
  });
  const { tenant } = await operatorContext({
    db: database.db,
    orgId: org.organization.id,
    actorLabel: 'test',
  });
  const agent = await connectAgentClient({ services, tenant });
  return {
    database,
    services,
    tenant,
    client: agent.client,
    async close() {
      await agent.close();
      await services.close();
      await database.close();
    },
  };
}
