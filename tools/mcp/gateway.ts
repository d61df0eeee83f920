import { createHash } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Action } from '../../server/domain/connector.ts';
import { CallResultSchema } from '../../server/domain/connection.ts';
import type { Tenant } from '../../server/domain/tenant.ts';
import { AppError } from '../../server/errors.ts';
import { runAction } from '../../server/modules/connections/actions.service.ts';
import { listConnections } from '../../server/modules/connections/connections.service.ts';
import { listActions } from '../../server/modules/connectors/connectors.service.ts';
import { getCustomer } from '../../server/modules/customers/customers.service.ts';
import type { ConnectionRuntime } from '../../server/modules/connections/runtime.ts';
import { WEFT_VERSION } from '../../server/version.ts';
import { jsonSchemaOf } from '../define-tool.ts';
import { cdmTools, describeCdmTool, runCdmTool, type CdmTool } from './gateway-cdm.ts';
import { workflowToolName } from '../../server/domain/gateway.ts';
import { RunResultSchema, type Workflow } from '../../server/domain/workflow.ts';
import { isOffered, offerFor } from '../../server/modules/gateway/gateway.service.ts';
import { runWorkflow } from '../../server/modules/workflows/executions.service.ts';
import { getWorkflow } from '../../server/modules/workflows/workflows.service.ts';
import type { WorkflowRunner } from '../../server/runtime/runner.ts';

/** Above this many action tools, only the meta-tools are listed (search_tools, execute_tool). */
export const MAX_LISTED_ACTION_TOOLS = 80;

interface ActionTool {
  name: string;
  connectionId: string;
  connector: string;
  action: Action;
}

/** `<connector>__<action>`, kept within 64 characters with a short hash when longer. */
export function gatewayToolName(connector: string, action: string): string {
  const name = `${connector}__${action}`.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (name.length <= 64) return name;
  const hash = createHash('sha1').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 55)}_${hash}`;
}

interface WorkflowTool {
  name: string;
  workflow: Workflow;
}

interface Catalog {
  actions: ActionTool[];
  workflows: WorkflowTool[];
  /** Entity-level tools need mapping lookups: computed only when asked for. */
  entities: () => Promise<CdmTool[]>;
}

async function catalog({
  runtime,
  tenant,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
}): Promise<Catalog> {
  const customer =
    tenant.customerId === null
      ? null
      : await getCustomer({ db: runtime.db, tenant, id: tenant.customerId });
  const allowed = customer?.gatewayConnectors ?? null;
  // Until someone chooses, a connector offers its GET actions only (set_gateway_offer).
  const offer =
    tenant.customerId === null
      ? { actions: {}, workflows: [] }
      : await offerFor({ db: runtime.db, tenant, customerId: tenant.customerId });
  const connections = (
    await listConnections({
      runtime,
      tenant,
      customerId: tenant.customerId ?? undefined,
      connector: undefined,
    })
  ).filter(
    (c) =>
      (c.status === 'active' || c.status === 'error') &&
      (allowed === null || allowed.includes(c.connector)),
  );
  const tools: ActionTool[] = [];
  const byConnector: {
    connectionId: string;
    connector: string;
    connectorId: string;
    actions: Action[];
  }[] = [];
  const seen = new Set<string>();
  for (const connection of connections) {
    if (seen.has(connection.connectorId)) continue;
    seen.add(connection.connectorId);
    // The same service call as the HTTP route, so the key needs connectors:read here too.
    const actions = await listActions({ db: runtime.db, tenant, ref: connection.connectorId });
    byConnector.push({
      connectionId: connection.id,
      connector: connection.connector,
      connectorId: connection.connectorId,
      actions,
    });
    for (const action of actions) {
      if (action.deprecated) continue;
      if (!isOffered({ offer, connector: connection.connector, action })) continue;
      tools.push({
        name: gatewayToolName(connection.connector, action.slug),
        connectionId: connection.id,
        connector: connection.connector,
        action,
      });
    }
  }
  const workflows: WorkflowTool[] = [];
  for (const slug of offer.workflows) {
    // A workflow deleted since it was offered is left out, not an error for the customer.
    const workflow = await getWorkflow({ db: runtime.db, tenant, ref: slug }).catch(
      (error: unknown) => {
        if (error instanceof AppError && error.code === 'not_found') return null;
        throw error;
      },
    );
    if (workflow !== null) workflows.push({ name: workflowToolName(slug), workflow });
  }
  return {
    actions: tools,
    workflows,
    entities: () => cdmTools({ runtime, tenant, connections: byConnector }),
  };
}

async function actionTools({
  runtime,
  tenant,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
}): Promise<ActionTool[]> {
  return (await catalog({ runtime, tenant })).actions;
}

const CALL_OUTPUT = jsonSchemaOf(CallResultSchema);

function describeAction(t: ActionTool): Tool {
  return {
    name: t.name,
    title: `${t.connector}: ${t.action.name}`,
    description: `${t.action.description?.slice(0, 800) ?? t.action.name} (${t.action.method} ${t.action.path} on ${t.connector})`,
    inputSchema: { type: 'object', ...t.action.inputSchema },
    outputSchema: CALL_OUTPUT as Tool['outputSchema'],
    annotations: {
      readOnlyHint: t.action.method === 'GET' || t.action.method === 'HEAD',
      openWorldHint: true,
    },
  };
}

const RUN_OUTPUT = jsonSchemaOf(RunResultSchema);

function describeWorkflow(t: WorkflowTool): Tool {
  return {
    name: t.name,
    title: t.workflow.name,
    description: `${t.workflow.description?.slice(0, 800) || t.workflow.name} (workflow ${t.workflow.slug})`,
    inputSchema: {
      type: 'object',
      properties: { input: { type: 'object', description: 'The workflow input (ctx.input)' } },
      additionalProperties: false,
    },
    outputSchema: { type: 'object', ...RUN_OUTPUT },
    annotations: { readOnlyHint: false, openWorldHint: true },
  };
}

const META_TOOLS: Tool[] = [
  {
    name: 'search_tools',
    title: 'Search the connected apps’ actions',
    description:
      'Finds actions of this customer’s connected apps by words (e.g. "create invoice", "list contacts"). Returns tool names with their input schemas; call one with execute_tool.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 200 },
        limit: { type: 'integer', minimum: 1, maximum: 50 },
      },
      required: ['query'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'execute_tool',
    title: 'Run an action by name',
    description: 'Runs an action found with search_tools: give its tool name and its arguments.',
    inputSchema: {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 64 }, arguments: { type: 'object' } },
      required: ['name'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
  },
];

function score(tool: ActionTool, words: string[]): number {
  const haystack =
    `${tool.name} ${tool.action.name} ${tool.action.description ?? ''} ${tool.action.tags.join(' ')}`.toLowerCase();
  return words.reduce(
    (n, w) => n + (haystack.includes(w) ? (tool.name.toLowerCase().includes(w) ? 3 : 1) : 0),
    0,
  );
}

function errorResult(error: unknown, onUnexpected: (e: unknown) => string): CallToolResult {
  if (error instanceof AppError) {
    const retry =
      error.code === 'rate_limited'
        ? (error.details?.['retryAfterSeconds'] as number | undefined)
        : undefined;
    // No structuredContent on errors (clients check it against the success schema): the error
    // is the second text block as JSON, and in _meta, with retry_after_seconds for rate limits.
    const structured = {
      error: {
        code: error.code,
        message: error.message,
        ...(retry !== undefined && { retry_after_seconds: retry }),
      },
    };
    return {
      isError: true,
      content: [
        { type: 'text', text: `${error.code}: ${error.message}` },
        { type: 'text', text: JSON.stringify(structured) },
      ],
      _meta: structured,
    };
  }
  return {
    isError: true,
    content: [{ type: 'text', text: `internal: internal error (ref ${onUnexpected(error)})` }],
  };
}

/**
 * The customer gateway (data plane): the actions of one customer's connected apps as tools,
 * run with that customer's connections. The tenant carries the customer id, so row-level
 * security keeps every query to that customer's rows.
 */
export function createGatewayServer({
  runtime,
  tenant,
  workflows,
  onUnexpected,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  /** The workflow runner, for workflows offered as tools; without it none are listed. */
  workflows?: () => Promise<WorkflowRunner>;
  onUnexpected: (error: unknown) => string;
}): Server {
  const server = new Server(
    { name: 'weft-gateway', version: WEFT_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'Actions of the apps this customer has connected. Use search_tools when the list is long.',
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const { actions: tools, entities, workflows: flows } = await catalog({ runtime, tenant });
    return {
      tools: [
        ...META_TOOLS,
        ...(workflows === undefined ? [] : flows.map(describeWorkflow)),
        ...(await entities()).map(describeCdmTool),
        ...(tools.length <= MAX_LISTED_ACTION_TOOLS ? tools.map(describeAction) : []),
      ],
    };
  });
  const run = async (name: string, args: unknown): Promise<CallToolResult> => {
    const { actions: tools, entities, workflows: flows } = await catalog({ runtime, tenant });
    const flow = workflows === undefined ? undefined : flows.find((t) => t.name === name);
    if (flow !== undefined && workflows !== undefined) {
      try {
        const input = (args as { input?: unknown } | undefined)?.input ?? null;
        const result = await runWorkflow({
          runner: await workflows(),
          run: {
            tenant,
            ref: flow.workflow.id,
            customerId: tenant.customerId ?? undefined,
            input,
            headers: {},
            triggeredBy: 'agent-service',
            trigger: { tool: name, gateway: true },
          },
        });
        return {
          structuredContent: result as unknown as Record<string, unknown>,
          content: [{ type: 'text', text: JSON.stringify(result) }],
          isError: result.status === 'failed' || result.status === 'timeout',
        };
      } catch (error) {
        return errorResult(error, onUnexpected);
      }
    }
    // Action tools are always `<connector>__<action>`; only other names can be entity tools.
    const entityTool = name.includes('__')
      ? undefined
      : (await entities()).find((t) => t.name === name);
    if (entityTool) {
      try {
        const result = await runCdmTool({
          runtime,
          tenant,
          tool: entityTool,
          args: (args ?? {}) as Record<string, unknown>,
        });
        return { content: [{ type: 'text', text: JSON.stringify(result) }] };
      } catch (error) {
        return errorResult(error, onUnexpected);
      }
    }
    const tool = tools.find((t) => t.name === name);
    if (!tool)
      return {
        isError: true,
        content: [
          {
            type: 'text',
            text: `no tool '${name}' for this customer; use search_tools to find one`,
          },
        ],
      };
    try {
      const result = await runAction({
        runtime,
        tenant,
        connectionId: tool.connectionId,
        action: tool.action.slug,
        input: (args ?? {}) as Record<string, unknown>,
        allPages: false,
        maxItems: 1000,
      });
      return {
        structuredContent: result as unknown as Record<string, unknown>,
        content: [{ type: 'text', text: JSON.stringify(result) }],
        isError: !result.ok,
      };
    } catch (error) {
      return errorResult(error, onUnexpected);
    }
  };
  const callTool = async (
    name: string,
    args: Record<string, unknown> | undefined,
  ): Promise<CallToolResult> => {
    if (name === 'search_tools') {
      const query = typeof args?.['query'] === 'string' ? args['query'] : '';
      const limit = typeof args?.['limit'] === 'number' ? args['limit'] : 10;
      const words = query
        .toLowerCase()
        .split(/\W+/)
        .filter((w) => w.length > 1);
      const ranked = (await actionTools({ runtime, tenant }))
        .map((t) => ({ t, s: score(t, words) }))
        .filter((x) => x.s > 0)
        .sort((a, b) => b.s - a.s)
        .slice(0, limit)
        .map(({ t }) => describeAction(t));
      return {
        structuredContent: { tools: ranked },
        content: [
          {
            type: 'text',
            text: JSON.stringify({
              tools: ranked.map((r) => ({ name: r.name, description: r.description })),
            }),
          },
        ],
      };
    }
    if (name === 'execute_tool') {
      if (typeof args?.['name'] !== 'string')
        return {
          isError: true,
          content: [{ type: 'text', text: 'execute_tool needs name (from search_tools)' }],
        };
      return run(args['name'], args['arguments']);
    }
    return run(name, args);
  };
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    // A failure while building the catalog (a missing permission) is a tool result like any
    // other error, not a protocol error.
    try {
      return await callTool(request.params.name, request.params.arguments);
    } catch (error) {
      return errorResult(error, onUnexpected);
    }
  });
  return server;
}
