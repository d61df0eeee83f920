import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Tenant } from '../../server/domain/tenant.ts';
import { isUuid } from '../../server/domain/common.ts';
import type { App } from '../../server/http/types.ts';
import type { ToolServices } from '../define-tool.ts';
import { ADMIN_TOOLS } from '../index.ts';
import { adminResources } from './resources.ts';
import { loadPrompts } from './prompts.ts';
import { agentTenant, createMcpServer } from './server.ts';
import { ADMIN_INSTRUCTIONS, ADMIN_SHARED_FIELDS } from './instructions.ts';
import { parseToolsets } from '../toolsets.ts';
import { createGatewayServer } from './gateway.ts';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AppError, isAppError } from '../../server/errors.ts';
import type { McpResource } from '../../server/modules/mcp-oauth/resources.ts';
import { getCustomer } from '../../server/modules/customers/customers.service.ts';

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

function jsonRpcError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

/** The customer a gateway request names: `/mcp/gateway/<id>` or `/mcp/gateway?customer_id=<id>`. */
function gatewayCustomerOf(request: FastifyRequest): unknown {
  const fromPath = (request.params as Record<string, unknown> | undefined)?.['customerId'];
  return fromPath ?? (request.query as Record<string, unknown> | undefined)?.['customer_id'];
}

/**
 * The admin MCP server (control plane) over Streamable HTTP at /mcp/admin (and /mcp). Every
 * request is authenticated by API key (header `x-fastn-api-key`, or `api_key` in the query for
 * clients that cannot send headers) or by an OAuth access token bound to the endpoint
 * (`Authorization: Bearer`); a session belongs to the key or person that opened it. A request
 * without valid credentials gets a 401 whose WWW-Authenticate names the resource metadata.
 */
export async function mcpRoutes(
  app: App,
  {
    services,
    authenticate,
    resourceMetadataUrl,
  }: {
    /** The services a tool call runs with, for the caller (built by app/services.ts). */
    services: (tenant: Tenant) => ToolServices;
    /** `resource` is what the request calls (null: a gateway URL without a valid customer). */
    authenticate: (request: FastifyRequest, resource: McpResource | null) => Promise<Tenant>;
    /** The URL of the protected-resource metadata for this request's endpoint (RFC 9728). */
    resourceMetadataUrl: (request: FastifyRequest) => string;
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
      const query = (request.query ?? {}) as Record<string, unknown>;
      return createMcpServer({
        name: 'weft-admin',
        instructions: ADMIN_INSTRUCTIONS,
        sharedFields: ADMIN_SHARED_FIELDS,
        // `?toolsets=connectors,workflows` (or `all`); the default set without it.
        toolsets: typeof query['toolsets'] === 'string' ? query['toolsets'] : undefined,
        results: query['results'] === 'json' ? 'json' : 'summary',
        tools: () => ADMIN_TOOLS,
        resources: adminResources,
        prompts,
        context: (clientName) => services(agentTenant(tenant, clientName)),
        onUnexpected: onUnexpected(request),
      });
    }
    return createGatewayServer({
      runtime: services(tenant).runtime,
      tenant,
      workflows: services(tenant).workflows,
      onUnexpected: onUnexpected(request),
    });
  };

  const customerTenant = async (request: FastifyRequest, tenant: Tenant): Promise<Tenant> => {
    const customerId = gatewayCustomerOf(request);
    if (!isUuid(customerId)) {
      throw new AppError(
        'bad_request',
        'the gateway needs ?customer_id=<customer id> (see list_customers)',
      );
    }
    await getCustomer({ db: services(tenant).db, tenant, id: customerId });
    return { ...tenant, customerId };
  };

  const handler =
    (plane: 'admin' | 'gateway') => async (request: FastifyRequest, reply: FastifyReply) => {
      const customerId = gatewayCustomerOf(request);
      const resource: McpResource | null =
        plane === 'admin'
          ? { plane }
          : isUuid(customerId)
            ? { plane, customerId: customerId.toLowerCase() }
            : null;
      let authed: Tenant;
      try {
        authed = await authenticate(request, resource);
      } catch (error) {
        if (isAppError(error) && error.code === 'unauthorized') {
          const bearer = /^bearer /i.test(request.headers.authorization ?? '');
          reply.header(
            'www-authenticate',
            `Bearer resource_metadata="${resourceMetadataUrl(request)}"${bearer ? ', error="invalid_token"' : ''}`,
          );
        }
        throw error;
      }
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
      const toolsets = (request.query as Record<string, unknown> | undefined)?.['toolsets'];
      if (plane === 'admin' && typeof toolsets === 'string') {
        try {
          parseToolsets(toolsets);
        } catch (error) {
          return jsonRpcError(reply, 400, (error as Error).message);
        }
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
  // A customer's gateway: by path (the form OAuth clients use as the resource) or by query.
  for (const url of ['/mcp/gateway', '/mcp/gateway/:customerId']) {
    app.route({
      method: ['GET', 'POST', 'DELETE'],
      url,
      config: MCP_ACCESS,
      schema: { hide: true },
      handler: handler('gateway'),
    });
  }
}
