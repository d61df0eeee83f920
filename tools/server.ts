import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Tenant } from '../server/domain/tenant.ts';
import { renderPrompt, type PromptFile } from './prompts.ts';
import { WEFT_VERSION } from '../server/version.ts';
import {
  advertisedInput,
  advertisedOutput,
  jsonSchemaOf,
  runTool,
  type ToolDefinition,
  type ToolServices,
} from './define-tool.ts';

export interface ResourceProvider {
  templates: { uriTemplate: string; name: string; description: string; mimeType: string }[];
  list(ctx: ToolServices): Promise<{ uri: string; name: string; mimeType: string }[]>;
  read(
    ctx: ToolServices,
    uri: string,
  ): Promise<{ uri: string; mimeType: string; text: string } | null>;
}

/** The MCP view of a tool: schemas as JSON Schema, annotations, title. */
export function describeTool(tool: ToolDefinition): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchemaOf(advertisedInput(tool)) as Tool['inputSchema'],
    // MCP wants an object schema at the top, also around the union of an external write.
    outputSchema: {
      type: 'object',
      ...jsonSchemaOf(advertisedOutput(tool)),
    },
    annotations: { title: tool.title, ...tool.annotations },
  };
}

/**
 * An MCP server over a set of tools. `context` is asked for the caller's context on every
 * request (the tenant comes from the authenticated API key; the client name from the handshake).
 */
export function createMcpServer({
  name,
  instructions,
  tools,
  context,
  resources,
  onUnexpected,
  prompts,
}: {
  name: string;
  instructions: string;
  tools: () => Promise<readonly ToolDefinition[]> | readonly ToolDefinition[];
  context: (clientName: string | null) => ToolServices;
  resources?: ResourceProvider;
  prompts?: readonly PromptFile[];
  onUnexpected: (error: unknown) => string;
}): Server {
  const server = new Server(
    { name, version: WEFT_VERSION },
    {
      capabilities: {
        tools: { listChanged: false },
        ...(resources && { resources: {} }),
        ...(prompts && { prompts: {} }),
      },
      instructions,
    },
  );
  const clientName = () => server.getClientVersion()?.name ?? null;

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await tools()).map(describeTool),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const all = await tools();
    const tool = all.find((t) => t.name === request.params.name);
    if (!tool) {
      const names = all.map((t) => t.name);
      const near = names.find(
        (n) => n.includes(request.params.name) || request.params.name.includes(n),
      );
      return {
        isError: true,
        content: [
          {
            type: 'text',
            text: `no tool '${request.params.name}'${near ? `; did you mean '${near}'?` : ''}; list tools to see what exists`,
          },
        ],
      };
    }
    const outcome = await runTool({
      tool,
      args: request.params.arguments,
      ctx: context(clientName()),
      onUnexpected,
    });
    if (!outcome.ok) {
      return {
        // Errors carry no structuredContent (clients check it against the success schema); the
        // second text block is the error as JSON for programs.
        isError: true,
        content: [
          { type: 'text', text: `${outcome.code}: ${outcome.message}` },
          {
            type: 'text',
            text: JSON.stringify({
              error: {
                code: outcome.code,
                message: outcome.message,
                ...(outcome.details && { details: outcome.details }),
              },
            }),
          },
        ],
      };
    }
    return {
      structuredContent: outcome.structured,
      content: [
        { type: 'text', text: outcome.text },
        { type: 'text', text: JSON.stringify(outcome.structured) },
      ],
    };
  });

  if (prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, () => ({
      prompts: prompts.map((p) => ({
        name: p.name,
        title: p.title,
        description: p.description,
        arguments: p.arguments,
      })),
    }));
    server.setRequestHandler(GetPromptRequestSchema, (request) => {
      const prompt = prompts.find((p) => p.name === request.params.name);
      if (!prompt)
        throw new Error(`no prompt ${request.params.name}; list prompts to see what exists`);
      return {
        description: prompt.description,
        messages: [
          {
            role: 'user',
            content: { type: 'text', text: renderPrompt(prompt, request.params.arguments ?? {}) },
          },
        ],
      };
    });
  }
  if (resources) {
    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
      resourceTemplates: resources.templates,
    }));
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({
      resources: await resources.list(context(clientName())),
    }));
    server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
      const found = await resources.read(context(clientName()), request.params.uri);
      if (!found)
        throw new Error(`no resource ${request.params.uri}; list resources to see what exists`);
      return { contents: [found] };
    });
  }
  return server;
}

/** The tenant as an agent acting for the key's user: how writes are audited. */
export function agentTenant(tenant: Tenant, clientName: string | null): Tenant {
  return {
    ...tenant,
    actor: {
      type: 'agent',
      id: tenant.actor.id,
      label: clientName ?? 'mcp client',
      userId: tenant.actor.userId,
    },
  };
}
