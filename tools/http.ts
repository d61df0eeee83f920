import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../server/config.ts';
import type { Database } from '../server/db/database.ts';
import type { Tenant } from '../server/domain/tenant.ts';
import { isUuid } from '../server/domain/common.ts';
import type { App } from '../server/http/types.ts';
import type { ConnectionRuntime } from '../server/modules/connections/runtime.ts';
import type { WorkflowRunner } from '../server/runtime/runner.ts';
import type { EventRouter } from '../server/runtime/event-router.ts';
import type { TriggerDeps } from '../server/modules/triggers/triggers.service.ts';
import { ADMIN_TOOLS } from './index.ts';
import { adminResources } from './resources.ts';
import { loadPrompts } from './prompts.ts';
import { agentTenant, createMcpServer } from './server.ts';
import { createGatewayServer } from './gateway.ts';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AppError } from '../server/errors.ts';
import { getCustomer } from '../server/modules/customers/customers.service.ts';

const IDLE_MS = 30 * 60_000;
// The endpoints authenticate the key themselves; each tool (or gateway action's service) then
// checks the permission it declares.
const MCP_ACCESS = {
  permission: 'any_key',
  reason: 'every tool and gateway action checks its own permission',
} as const;

interface Session {
  transport: StreamableHTTPServerTransport;
  keyId: string | null;
  orgId: string;
  customerId: string | null;
  lastSeen: number;
}

const ADMIN_INSTRUCTIONS = `Weft builds integrations: connectors (a third-party API's auth, actions and events), connections
(a connector authorized for one of your customers) and the calls made through them.
Typical flow: import_openapi (or create_connector + upsert_action) → create_customer →
create_connection (or set_oauth_app + start_oauth) → run_action → get_trace.
Every write accepts dryRun (shows the result, writes nothing) and idempotencyKey (a repeated call returns the first result).`;

function jsonRpcError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

/**
 * The admin MCP server (control plane) over Streamable HTTP at /mcp/admin (and /mcp). Every
 * request is authenticated by API key (header `x-fastn-api-key`, or `api_key` in the query for
 * clients that cannot send headers); a session belongs to the key that opened it.
 */
export async function mcpRoutes(
  app: App,
  {
    db,
    runtime,
    config,
    workflows,
    triggers,
    events,
    authenticate,
  }: {
    db: Database;
    runtime: ConnectionRuntime;
    config: Config;
    workflows: () => Promise<WorkflowRunner>;
    triggers: TriggerDeps;
    events: () => Promise<EventRouter>;
    authenticate: (request: FastifyRequest) => Promise<Tenant>;
  },
): Promise<void> {
  const sessions = new Map<string, Session>();
  const prompts = await loadPrompts();
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, s] of sessions) {
      if (now - s.lastSeen > IDLE_MS) {
        sessions.delete(id);
        void s.transport.close();
      }
    }
  }, 60_000);
  sweeper.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    await Promise.all([...sessions.values()].map((s) => s.transport.close()));
    sessions.clear();
  });

  const onUnexpected = (request: FastifyRequest) => (error: unknown) => {
    const ref = randomUUID();
    request.log.error({ err: error, ref }, 'MCP tool failed');
    return ref;
  };

  /** The admin plane, or the gateway plane for `customer_id`. */
  const serverFor = (
    request: FastifyRequest,
    plane: 'admin' | 'gateway',
    tenant: Tenant,
  ): Server => {
    if (plane === 'admin') {
      return createMcpServer({
        name: 'weft-admin',
        instructions: ADMIN_INSTRUCTIONS,
        tools: () => ADMIN_TOOLS,
        resources: adminResources,
        prompts,
        context: (clientName) => ({
          tenant: agentTenant(tenant, clientName),
          db,
          runtime,
          config,
          workflows,
          hookUrl: triggers.hookUrl,
          events,
        }),
        onUnexpected: onUnexpected(request),
      });
    }
    return createGatewayServer({ runtime, tenant, onUnexpected: onUnexpected(request) });
  };

  const customerTenant = async (request: FastifyRequest, tenant: Tenant): Promise<Tenant> => {
    const customerId = (request.query as Record<string, unknown> | undefined)?.['customer_id'];
    if (!isUuid(customerId)) {
      throw new AppError(
        'bad_request',
        'the gateway needs ?customer_id=<customer id> (see list_customers)',
      );
    }
    await getCustomer({ db, tenant, id: customerId });
    return { ...tenant, customerId };
  };

  const handler =
    (plane: 'admin' | 'gateway') => async (request: FastifyRequest, reply: FastifyReply) => {
      const authed = await authenticate(request);
      const tenant = plane === 'gateway' ? await customerTenant(request, authed) : authed;
      const sessionId = request.headers['mcp-session-id'];
      if (typeof sessionId === 'string') {
        const session = sessions.get(sessionId);
        // Another key's (or customer's) session is indistinguishable from an unknown one.
        if (
          !session ||
          session.keyId !== tenant.actor.id ||
          session.orgId !== tenant.orgId ||
          session.customerId !== tenant.customerId
        ) {
          return jsonRpcError(reply, 404, 'unknown or expired MCP session; initialize a new one');
        }
        session.lastSeen = Date.now();
        reply.hijack();
        await session.transport.handleRequest(request.raw, reply.raw, request.body);
        return reply;
      }
      if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
        return jsonRpcError(
          reply,
          400,
          'no MCP session: send an initialize request first (without mcp-session-id)',
        );
      }
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, {
            transport,
            keyId: tenant.actor.id,
            orgId: tenant.orgId,
            customerId: tenant.customerId,
            lastSeen: Date.now(),
          });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      const server = serverFor(request, plane, tenant);
      await server.connect(transport);
      reply.hijack();
      await transport.handleRequest(request.raw, reply.raw, request.body);
      return reply;
    };

  // `/mcp` is the path MCP clients try first when given only a host: it serves the admin plane.
  for (const url of ['/mcp/admin', '/mcp']) {
    app.route({
      method: ['GET', 'POST', 'DELETE'],
      url,
      config: MCP_ACCESS,
      schema: { hide: true },
      handler: handler('admin'),
    });
  }
  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/mcp/gateway',
    config: MCP_ACCESS,
    schema: { hide: true },
    handler: handler('gateway'),
  });
}
