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
import { createConnectionRuntime } from '../server/modules/connections/runtime.ts';
import { openStore } from './store.ts';
import {
  openWorkflowEngine,
  queueOptionsOf,
  type WorkflowEngine,
} from '../server/runtime/engines.ts';
import { startWorkers, type Workers } from './workers.ts';
import { createEventRouter, type EventRouter } from '../server/runtime/event-router.ts';
import { WEFT_VERSION } from '../server/version.ts';
import { ADMIN_TOOLS } from '../tools/index.ts';
import { adminResources } from '../tools/resources.ts';
import { loadPrompts } from '../tools/prompts.ts';
import { agentTenant, createMcpServer } from '../tools/server.ts';

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
      new StreamableHTTPClientTransport(new URL('/mcp/admin', config.weftUrl), {
        requestInit: { headers: { 'x-fastn-api-key': config.weftApiKey } },
      }),
    );
    const instructions = upstream.getInstructions();
    const relay = new Server(
      { name: 'weft-admin', version: WEFT_VERSION },
      {
        capabilities: { tools: {}, resources: {}, prompts: {} },
        ...(instructions !== undefined && { instructions }),
      },
    );
    relay.setRequestHandler(ListToolsRequestSchema, (request) =>
      upstream.listTools(request.params),
    );
    relay.setRequestHandler(CallToolRequestSchema, (request) => upstream.callTool(request.params));
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
    await relay.connect(transport);
    logger.info({ url: config.weftUrl }, 'relaying MCP over stdio');
    return {
      async close() {
        await relay.close();
        await upstream.close();
      },
    };
  }

  const runtime = await openStore({ config, logger });
  const created = await bootstrapIfEmpty({ db: runtime.db, actorLabel: 'weft mcp' });
  if (created)
    logger.warn(
      { organization: created.organization.id },
      'created the first organization; run `weft keys create` for API keys',
    );
  const connections = await createConnectionRuntime({
    config,
    db: runtime.db,
    keyring: runtime.keyring.keyring,
    onError: (message, error) => logger.error({ err: error }, message),
  });
  const tenant =
    config.weftApiKey !== undefined
      ? await authenticateApiKey({ db: runtime.db, key: config.weftApiKey, requestId: null })
      : (await operatorContext({ db: runtime.db, orgId: undefined, actorLabel: 'weft mcp' }))
          .tenant;
  // Workflows (and workers for the queued tiers) start with the first run_workflow.
  let engine: Promise<{ engine: WorkflowEngine; workers: Workers }> | undefined;
  const workflows = async () => {
    engine ??= (async () => {
      const opened = await openWorkflowEngine({
        db: runtime.db,
        keyring: runtime.keyring.keyring,
        runtime: connections,
        logger,
        sandboxProcesses: config.sandboxProcesses,
        queueOptions: queueOptionsOf(config),
      });
      const workers = await startWorkers({
        config,
        db: runtime.db,
        keyring: runtime.keyring.keyring,
        logger,
        engines: { runtime: connections, engine: opened, close: () => opened.close() },
      });
      return { engine: opened, workers };
    })();
    return (await engine).engine.runner;
  };
  // Embedded, nothing listens for webhooks: URLs point at WEFT_PUBLIC_URL or the default port.
  const hookUrl = (id: string) =>
    `${(config.publicUrl ?? `http://localhost:${config.port}`).replace(/\/$/, '')}/hooks/${id}`;
  let router: Promise<EventRouter> | undefined;
  const events = () =>
    (router ??= createEventRouter({ db: runtime.db, runner: workflows, logger }));
  const server = createMcpServer({
    name: 'weft-admin',
    instructions: 'Weft admin tools (embedded installation).',
    tools: () => ADMIN_TOOLS,
    resources: adminResources,
    prompts: await loadPrompts(),
    context: (clientName) => ({
      tenant: agentTenant(tenant, clientName),
      db: runtime.db,
      runtime: connections,
      config,
      workflows,
      hookUrl,
      events,
    }),
    onUnexpected: (error) => {
      const ref = randomUUID();
      logger.error({ err: error, ref }, 'MCP tool failed');
      return ref;
    },
  });
  await server.connect(transport);
  logger.info({ data: runtime.dbLocation }, 'serving MCP over stdio (embedded)');
  return {
    async close() {
      await server.close();
      if (router) await (await router).close();
      if (engine) {
        const started = await engine;
        await started.workers.close();
        await started.engine.close();
      }
      await connections.close();
      await runtime.close();
    },
  };
}
