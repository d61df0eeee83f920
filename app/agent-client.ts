// The MCP client an agent acts through: the admin MCP server for one tenant, built here (a
// composition root may import tools/mcp) and connected in process over the SDK's in-memory
// transport. Decision: the agent goes through the same server, tool validation, permission
// checks, idempotency and audit as any IDE agent, rather than calling services directly; the
// client announces itself as 'weft-connector-agent' so its writes are audited as the agent on
// behalf of the caller (agentTenant). Every toolset is on, so no call fails for a hidden group.
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Logger } from 'pino';
import type { Tenant } from '../server/domain/tenant.ts';
import { WEFT_VERSION } from '../server/version.ts';
import { ADMIN_TOOLS } from '../tools/index.ts';
import { ADMIN_INSTRUCTIONS, ADMIN_SHARED_FIELDS } from '../tools/mcp/instructions.ts';
import { agentTenant, createMcpServer } from '../tools/mcp/server.ts';
import type { Services } from './services.ts';

export const CONNECTOR_AGENT_CLIENT = 'weft-connector-agent';

export interface AgentClient {
  readonly client: Client;
  close(): Promise<void>;
}

/** An MCP client connected to a fresh admin server acting for `tenant`. */
export async function connectAgentClient({
  services,
  tenant,
  logger,
  clientName = CONNECTOR_AGENT_CLIENT,
}: {
  services: Pick<Services, 'toolServices'>;
  tenant: Tenant;
  logger?: Logger;
  clientName?: string;
}): Promise<AgentClient> {
  const server = createMcpServer({
    name: 'weft-admin',
    instructions: ADMIN_INSTRUCTIONS,
    sharedFields: ADMIN_SHARED_FIELDS,
    toolsets: 'all',
    results: 'summary',
    tools: () => ADMIN_TOOLS,
    context: (name) => services.toolServices(agentTenant(tenant, name)),
    onUnexpected: (error) => {
      const ref = randomUUID();
      logger?.error({ err: error, ref }, 'agent tool call failed');
      return ref;
    },
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: clientName, version: WEFT_VERSION });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}
