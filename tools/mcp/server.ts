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
import { SESSION_TOOL_NAMES, TOOLSETS, parseToolsets, toolsIn, toolsetOf } from '../toolsets.ts';
import { leanSchema } from './lean-schema.ts';
import type { Tenant } from '../../server/domain/tenant.ts';
import { renderPrompt, type PromptFile } from './prompts.ts';
import { WEFT_VERSION } from '../../server/version.ts';
import {
  advertisedInput,
  advertisedOutput,
  jsonSchemaOf,
  runTool,
  type ToolDefinition,
  type ToolServices,
  type ToolSession,
} from '../define-tool.ts';

export interface ResourceProvider {
  templates: { uriTemplate: string; name: string; description: string; mimeType: string }[];
  list(ctx: ToolServices): Promise<{ uri: string; name: string; mimeType: string }[]>;
  read(
    ctx: ToolServices,
    uri: string,
  ): Promise<{ uri: string; mimeType: string; text: string } | null>;
}

/** A tool's exact schemas: what `describe_tool` and `weft://schemas/<tool>` answer. */
export function fullSchemas(tool: ToolDefinition): {
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
} {
  return {
    inputSchema: jsonSchemaOf(advertisedInput(tool)),
    // MCP wants an object schema at the top, also around the union of an external write.
    outputSchema: { type: 'object', ...jsonSchemaOf(advertisedOutput(tool)) },
  };
}

/**
 * The MCP view of a tool in `tools/list`: name, title, description, a lean input schema and the
 * annotations. No output schema: answers carry structured content all the same, and the exact
 * schemas are one `describe_tool` away (tools/mcp/lean-schema.ts says why). `dryRun` and
 * `idempotencyKey` are explained once, in the server's instructions, not in every write; so is
 * each field of `sharedFields` (name → description): a field with that name and that very
 * description is listed without it (the exact schema keeps it).
 */
export function describeTool(
  tool: ToolDefinition,
  sharedFields: Readonly<Record<string, string>> = {},
): Tool {
  const input = leanSchema(jsonSchemaOf(advertisedInput(tool)), { maxDepth: 0 });
  const props = input['properties'] as Record<string, Record<string, unknown>> | undefined;
  if (props) {
    for (const [name, field] of Object.entries(props)) {
      if (sharedFields[name] !== undefined && field['description'] === sharedFields[name])
        delete field['description'];
    }
  }
  if (tool.write && props) {
    props['dryRun'] = { type: 'boolean' };
    props['idempotencyKey'] = { type: 'string' };
  }
  const annotations = compactAnnotations(tool);
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: input as Tool['inputSchema'],
    ...(annotations && { annotations }),
  };
}

// MCP's defaults for the hints a tool leaves out: a tool is assumed to write, destructively,
// not idempotently, and to reach the outside world.
export const HINT_DEFAULTS = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
} as const;

/**
 * The hints that say something: one equal to MCP's default is left out (a client reads it the
 * same), and for a read-only tool the write hints mean nothing (MCP). The title is already at
 * the top. Undefined when every hint is the default.
 */
function compactAnnotations(tool: ToolDefinition): Tool['annotations'] {
  const hints = tool.annotations;
  const keys =
    hints.readOnlyHint === true
      ? (['readOnlyHint', 'openWorldHint'] as const)
      : (['destructiveHint', 'idempotentHint', 'openWorldHint'] as const);
  const said = Object.fromEntries(
    keys
      .filter((key) => hints[key] !== undefined && hints[key] !== HINT_DEFAULTS[key])
      .map((key) => [key, hints[key]]),
  );
  return Object.keys(said).length > 0 ? said : undefined;
}

/** How a result's text reads: a one-line summary, or that plus the JSON (text-only clients). */
export type ResultText = 'summary' | 'json';

const SCHEMA_URI = /^weft:\/\/schemas\/([a-z][a-z0-9_]{0,63})$/;

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
  toolsets,
  results = 'summary',
  sharedFields = {},
}: {
  name: string;
  instructions: string;
  tools: () => Promise<readonly ToolDefinition[]> | readonly ToolDefinition[];
  context: (clientName: string | null) => ToolServices;
  resources?: ResourceProvider;
  prompts?: readonly PromptFile[];
  onUnexpected: (error: unknown) => string;
  /**
   * The toolsets the session starts with (`connectors,workflows`, `all`); the default set when
   * absent. Without toolsets (the gateway) every tool is listed and there are no session tools.
   */
  toolsets?: string | readonly string[] | null | undefined;
  results?: ResultText;
  /** Fields explained once in `instructions` (name → description), left out of each tool. */
  sharedFields?: Readonly<Record<string, string>>;
}): Server {
  const grouped = toolsets !== null;
  // Checked before the session starts: a typo is an error, not a smaller listing.
  const enabled = new Set(grouped ? parseToolsets(toolsets) : []);
  const server = new Server(
    { name, version: WEFT_VERSION },
    {
      capabilities: {
        tools: { listChanged: grouped },
        ...((resources || grouped) && { resources: {} }),
        ...(prompts && { prompts: {} }),
      },
      instructions,
    },
  );
  const clientName = () => server.getClientVersion()?.name ?? null;
  const listed = (all: readonly ToolDefinition[]) => (grouped ? toolsIn(all, enabled) : all);

  const enable = (names: readonly string[]): string[] => {
    const before = enabled.size;
    for (const set of parseToolsets(names.length === 0 ? ['default'] : names)) enabled.add(set);
    if (enabled.size !== before) void server.sendToolListChanged().catch(() => undefined);
    return [...enabled];
  };
  const session = async (): Promise<ToolSession> => {
    const all = await tools();
    return {
      toolsets: () =>
        TOOLSETS.map((t) => ({
          name: t.name,
          description: t.description,
          enabled: enabled.has(t.name),
          tools: all.filter((tool) => t.tools.includes(tool.name)).map((tool) => tool.name),
        })).filter((t) => t.tools.length > 0),
      enable,
      schemasOf: (toolName) => {
        const tool = all.find((t) => t.name === toolName);
        return tool ? fullSchemas(tool) : null;
      },
    };
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: listed(await tools()).map((tool) => describeTool(tool, sharedFields)),
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
    // A tool of a toolset the session has not enabled still runs (the toolsets shape the
    // listing; the key's role decides what is allowed) and its toolset is turned on, so the
    // listing shows what the agent uses.
    const set = toolsetOf(tool.name);
    if (grouped && set !== null && !enabled.has(set) && !SESSION_TOOL_NAMES.includes(tool.name)) {
      enable([set]);
    }
    const outcome = await runTool({
      tool,
      args: request.params.arguments,
      ctx: grouped ? { ...context(clientName()), session: await session() } : context(clientName()),
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
    // Structured content plus a one-line summary, not the same JSON twice; `results: 'json'`
    // is for clients that show a model only the text.
    return {
      // A tool that ran but reports a failure (a failed execution) keeps its structured answer.
      ...(outcome.failed === true && { isError: true }),
      structuredContent: outcome.structured,
      content: [
        {
          type: 'text',
          text:
            results === 'json'
              ? `${outcome.text}\n${JSON.stringify(outcome.structured)}`
              : outcome.text,
        },
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
  const schemaTemplate = {
    uriTemplate: 'weft://schemas/{tool}',
    name: 'Tool schemas',
    description: "A tool's exact input and output JSON Schemas (as describe_tool answers)",
    mimeType: 'application/schema+json',
  };
  if (resources || grouped) {
    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
      resourceTemplates: [...(resources?.templates ?? []), ...(grouped ? [schemaTemplate] : [])],
    }));
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({
      resources: resources ? await resources.list(context(clientName())) : [],
    }));
    server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
      const uri = request.params.uri;
      const schema = grouped ? SCHEMA_URI.exec(uri) : null;
      if (schema?.[1]) {
        const found = (await session()).schemasOf(schema[1]);
        if (!found) throw new Error(`no tool ${schema[1]}; list_toolsets names every tool`);
        return {
          contents: [
            { uri, mimeType: 'application/schema+json', text: JSON.stringify(found, null, 2) },
          ],
        };
      }
      const found = resources ? await resources.read(context(clientName()), uri) : null;
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
