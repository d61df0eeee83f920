import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Config } from '../server/config.ts';
import { bootstrapIfEmpty, operatorContext } from '../server/modules/orgs/orgs.service.ts';
import { authenticateApiKey } from '../server/modules/auth/auth.service.ts';
import { openStore } from './store.ts';
import { createServices } from './services.ts';
import type { Tenant } from '../server/domain/tenant.ts';
import type { ToolServices } from '../tools/define-tool.ts';
import { startWorkers, type Workers } from './workers.ts';
import { WEFT_VERSION } from '../server/version.ts';
import { ADMIN_TOOLS, STDIO_ONLY_TOOLS } from '../tools/index.ts';
import { relayUploadSpec } from '../tools/specs/upload-spec.ts';
import { adminResources } from '../tools/mcp/resources.ts';
import { loadPrompts } from '../tools/mcp/prompts.ts';
import { ADMIN_INSTRUCTIONS, ADMIN_SHARED_FIELDS } from '../tools/mcp/instructions.ts';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { agentTenant, createMcpServer, describeTool, fullSchemas } from '../tools/mcp/server.ts';

/** The relay's upstream: /mcp/admin with the session's toolsets and result style. */
function adminUrl(config: Config): URL {
  const url = new URL('/mcp/admin', config.weftUrl);
  if (config.mcpToolsets !== undefined) url.searchParams.set('toolsets', config.mcpToolsets);
  if (config.mcpResults === 'json') url.searchParams.set('results', 'json');
  return url;
}

export interface StdioHandle {
  close(): Promise<void>;
}

/**
 * `weft mcp`: the admin tools over stdio for IDE agents. With WEFT_URL (and WEFT_API_KEY) it
 * relays to a running Weft's /mcp/admin; otherwise it opens the local installation itself and
 * acts for WEFT_API_KEY's org (or, without a key, as the operator of the first org).
 * Nothing but protocol goes to stdout: logs go to stderr.
 */
export async function serveStdio({
  config,
  logger,
}: {
  config: Config;
  logger: Logger;
}): Promise<StdioHandle> {
  const transport = new StdioServerTransport();
  if (config.weftUrl !== undefined) {
    if (config.weftApiKey === undefined) throw new Error('WEFT_API_KEY is needed with WEFT_URL');
    const upstream = new Client({ name: 'weft-stdio-relay', version: WEFT_VERSION });
    await upstream.connect(
      new StreamableHTTPClientTransport(adminUrl(config), {
        requestInit: { headers: { 'x-fastn-api-key': config.weftApiKey } },
      }),
    );
    const instructions = upstream.getInstructions();
    const relay = new Server(
      { name: 'weft-admin', version: WEFT_VERSION },
      {
        capabilities: { tools: { listChanged: true }, resources: {}, prompts: {} },
        ...(instructions !== undefined && { instructions }),
      },
    );
    // Local-file tools run here, on the user's machine; everything else goes upstream.
    relay.setRequestHandler(ListToolsRequestSchema, async (request) => {
      const listed = await upstream.listTools(request.params);
      if (request.params?.cursor !== undefined) return listed;
      return {
        ...listed,
        tools: [
          ...listed.tools,
          ...STDIO_ONLY_TOOLS.map((tool) => describeTool(tool, ADMIN_SHARED_FIELDS)),
        ],
      };
    });
    relay.setRequestHandler(CallToolRequestSchema, async (request) => {
      // The server does not know the local-file tools: their schemas are described here.
      const described = request.params.arguments?.['tool'];
      const local = STDIO_ONLY_TOOLS.find((t) => t.name === described);
      if (request.params.name === 'describe_tool' && local) {
        const structuredContent = { tool: local.name, ...fullSchemas(local) };
        return {
          structuredContent,
          content: [{ type: 'text' as const, text: JSON.stringify(structuredContent) }],
        };
      }
      if (request.params.name !== 'upload_spec') return upstream.callTool(request.params);
      return (await relayUploadSpec({
        args: request.params.arguments,
        createSpecUpstream: (input) => upstream.callTool({ name: 'create_spec', arguments: input }),
      })) as Awaited<ReturnType<typeof upstream.callTool>>;
    });
    relay.setRequestHandler(ListResourcesRequestSchema, (request) =>
      upstream.listResources(request.params),
    );
    relay.setRequestHandler(ListResourceTemplatesRequestSchema, (request) =>
      upstream.listResourceTemplates(request.params),
    );
    relay.setRequestHandler(ReadResourceRequestSchema, (request) =>
      upstream.readResource(request.params),
    );
    relay.setRequestHandler(ListPromptsRequestSchema, (request) =>
      upstream.listPrompts(request.params),
    );
    relay.setRequestHandler(GetPromptRequestSchema, (request) =>
      upstream.getPrompt(request.params),
    );
    // enable_toolset upstream changes the list: the IDE must hear it through the relay.
    upstream.setNotificationHandler(ToolListChangedNotificationSchema, () =>
      relay.sendToolListChanged(),
    );
    await relay.connect(transport);
    logger.info({ url: config.weftUrl }, 'relaying MCP over stdio');
    return {
      async close() {
        await relay.close();
        await upstream.close();
      },
    };
  }

  const store = await openStore({ config, logger });
  const created = await bootstrapIfEmpty({ db: store.db, actorLabel: 'weft mcp' });
  if (created)
    logger.warn(
      { organization: created.organization.id },
      'created the first organization; run `weft keys create` for API keys',
    );
  const services = await createServices({
    config,
    logger,
    db: store.db,
    keyring: store.keyring.keyring,
  });
  const tenant =
    config.weftApiKey !== undefined
      ? await authenticateApiKey({ db: store.db, key: config.weftApiKey, requestId: null })
      : (await operatorContext({ db: store.db, orgId: undefined, actorLabel: 'weft mcp' })).tenant;
  // Queued runs need workers: they start with the first run of a workflow or an agent. Embedded,
  // nothing listens for webhooks: their URLs point at WEFT_PUBLIC_URL or the default port.
  let workers: Promise<Workers> | undefined;
  const tools = (clientTenant: Tenant): ToolServices => ({
    ...services.toolServices(clientTenant),
    workflows: async () => {
      workers ??= startWorkers(services);
      await workers;
      return services.workflows();
    },
    agentRuns: async () => {
      workers ??= startWorkers(services);
      await workers;
      return services.agentRuns();
    },
  });
  const server = createMcpServer({
    name: 'weft-admin',
    instructions: ADMIN_INSTRUCTIONS,
    sharedFields: ADMIN_SHARED_FIELDS,
    toolsets: config.mcpToolsets,
    results: config.mcpResults,
    tools: () => [...ADMIN_TOOLS, ...STDIO_ONLY_TOOLS],
    resources: adminResources,
    prompts: await loadPrompts(),
    context: (clientName) => tools(agentTenant(tenant, clientName)),
    onUnexpected: (error) => {
      const ref = randomUUID();
      logger.error({ err: error, ref }, 'MCP tool failed');
      return ref;
    },
  });
  await server.connect(transport);
  logger.info({ data: store.dbLocation }, 'serving MCP over stdio (embedded)');
  return {
    async close() {
      await server.close();
      await (await workers?.catch(() => undefined))?.close();
      await services.close();
      await store.close();
    },
  };
}
