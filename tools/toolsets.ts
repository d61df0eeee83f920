// Toolsets (as in GitHub's MCP server): the admin tools in groups a session can turn on, so an
// agent pays in tokens only for the tools of its task. A session starts with the groups it asks
// for (`/mcp/admin?toolsets=…`, `weft mcp --toolsets …`, WEFT_MCP_TOOLSETS) or the default set,
// and enables more with `enable_toolset`. The groups are a table of tool names rather than a
// field of each tool, so that a tool file stays about its resource; `toolsets.test.ts` fails on
// a tool that belongs to no group. Names listed here that are not (yet) tools are ignored.
import type { ToolDefinition } from './define-tool.ts';

export interface Toolset {
  readonly name: string;
  readonly description: string;
  readonly tools: readonly string[];
}

export const TOOLSETS: readonly Toolset[] = [
  {
    name: 'connectors',
    description:
      'Connectors: import an OpenAPI spec or a definition, edit actions and events, export',
    tools: [
      'list_connectors',
      'get_connector',
      'create_connector',
      'update_connector',
      'delete_connector',
      'export_connector',
      'import_openapi',
      'import_connector_definition',
      'create_spec',
      'upload_spec',
      'discover_spec',
      'read_docs',
      'list_actions',
      'get_action',
      'upsert_action',
      'delete_action',
      'list_events',
      'upsert_event',
      'delete_event',
    ],
  },
  {
    name: 'connections',
    description: 'Customers and their connections: API keys, OAuth apps and flows, tests',
    tools: [
      'list_customers',
      'get_customer',
      'create_customer',
      'update_customer',
      'delete_customer',
      'list_connections',
      'get_connection',
      'create_connection',
      'delete_connection',
      'test_connection',
      'set_oauth_app',
      'start_oauth',
    ],
  },
  {
    name: 'calls',
    description: 'Calling APIs through a connection: actions, raw requests, traces',
    tools: ['run_action', 'proxy_request', 'get_trace', 'probe_endpoint', 'test_actions'],
  },
  {
    name: 'mappings',
    description: 'Canonical entities (Contact, Order, …) and field mappings to and from them',
    tools: [
      'list_cdm_entities',
      'get_cdm_schema',
      'suggest_mapping',
      'preview_mapping',
      'save_mapping',
      'list_mappings',
      'get_mapping',
      'delete_mapping',
    ],
  },
  {
    name: 'workflows',
    description: 'Workflows in code: create, publish, deploy, run, and their executions',
    tools: [
      'list_workflows',
      'get_workflow',
      'create_workflow',
      'update_workflow',
      'delete_workflow',
      'publish_workflow',
      'deploy_workflow',
      'run_workflow',
      'list_executions',
      'get_execution',
    ],
  },
  {
    name: 'triggers',
    description: 'What starts workflows: webhooks, schedules, app events, received events',
    tools: [
      'list_triggers',
      'get_trigger',
      'create_trigger',
      'update_trigger',
      'delete_trigger',
      'preview_schedule',
      'list_trigger_events',
      'replay_trigger_event',
    ],
  },
  {
    name: 'agents',
    description:
      'Agents that do the work: build a connector or a workflow, follow and approve its run',
    tools: ['build_connector', 'build_workflow', 'get_agent_run', 'approve_agent_run'],
  },
  {
    name: 'gateway',
    description: "What a customer's gateway MCP server offers: actions and workflows as tools",
    tools: ['get_gateway', 'update_gateway', 'list_gateway_tools', 'set_gateway_tools'],
  },
  {
    name: 'operations',
    description:
      'Running the installation: environments, alert rules and incidents, the audit log, usage and quotas',
    tools: [
      'list_environments',
      'create_environment',
      'delete_environment',
      'list_alert_rules',
      'create_alert_rule',
      'update_alert_rule',
      'delete_alert_rule',
      'list_alert_incidents',
      'list_audit_entries',
      'set_audit_retention',
      'list_usage',
      'set_quotas',
    ],
  },
  {
    name: 'people',
    description: 'People and roles: invite, change roles, custom roles, transfer ownership',
    tools: [
      'list_people',
      'create_invitation',
      'update_person',
      'delete_person',
      'set_owner',
      'list_roles',
      'create_role',
      'update_role',
      'delete_role',
    ],
  },
  {
    name: 'embed',
    description:
      'The connect widget your customers use in your product: configure it, mint tokens to open it',
    tools: ['set_widget', 'list_widgets', 'create_embed_token'],
  },
];

/** Always listed, whatever the toolsets: how a session finds and turns on the others. */
export const SESSION_TOOL_NAMES: readonly string[] = [
  'list_toolsets',
  'enable_toolset',
  'describe_tool',
];

/**
 * What a session starts with when it names none: the first steps of every integration (a
 * connector, a customer's connection, a call through it). The rest is one `enable_toolset`
 * away, or `?toolsets=all`.
 */
export const DEFAULT_TOOLSETS: readonly string[] = ['connectors', 'connections', 'calls'];

const NAMES = new Set(TOOLSETS.map((t) => t.name));

/** The toolset a tool belongs to, or null (a session tool, or one no group lists yet). */
export function toolsetOf(tool: string): string | null {
  return TOOLSETS.find((t) => t.tools.includes(tool))?.name ?? null;
}

/**
 * Parses a `toolsets` request (`connectors,workflows`, `all`, `default`, empty for the default).
 * An unknown name is an error that lists the valid ones: a typo must not silently shrink the
 * listing.
 */
export function parseToolsets(spec: string | readonly string[] | undefined): string[] {
  const parts = (typeof spec === 'string' ? spec.split(',') : (spec ?? []))
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  if (parts.length === 0) return [...DEFAULT_TOOLSETS];
  const out = new Set<string>();
  for (const part of parts) {
    if (part === 'all') TOOLSETS.forEach((t) => out.add(t.name));
    else if (part === 'default') DEFAULT_TOOLSETS.forEach((t) => out.add(t));
    else if (NAMES.has(part)) out.add(part);
    else
      throw new Error(
        `unknown toolset '${part}'; valid: ${[...NAMES].join(', ')}, or all / default`,
      );
  }
  return [...out];
}

/** The tools a session with these toolsets lists: theirs, plus the session tools. */
export function toolsIn(
  tools: readonly ToolDefinition[],
  enabled: ReadonlySet<string>,
): ToolDefinition[] {
  return tools.filter((t) => {
    if (SESSION_TOOL_NAMES.includes(t.name)) return true;
    const set = toolsetOf(t.name);
    // A tool no group lists yet is shown rather than lost (toolsets.test.ts catches it).
    return set === null || enabled.has(set);
  });
}
