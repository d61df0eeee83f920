// What the admin server tells a client at initialize: read once per session, so this is where
// what holds for every tool is said (dry runs, idempotency keys, toolsets, full schemas, the
// fields that mean the same in every tool) instead of in each tool's schema.
import { CDM_ENTITIES } from '../../server/domain/cdm.ts';

/**
 * Fields that mean the same in every tool that takes them: their description (exactly as the
 * tools' schemas give it) is said here once, and `tools/list` leaves it out of each tool.
 */
export const ADMIN_SHARED_FIELDS: Readonly<Record<string, string>> = {
  cursor: 'Opaque cursor from the previous page (nextCursor)',
  entity: `One of ${CDM_ENTITIES.join(', ')}`,
  role: 'A system role (owner, admin, developer, operator, viewer, end_user) or a custom one',
  connector: 'Connector id or slug',
  workflow: 'Workflow id or slug',
};

const fields = Object.entries(ADMIN_SHARED_FIELDS)
  .map(([name, description]) => `${name}: ${description}.`)
  .join('\n');

export const ADMIN_INSTRUCTIONS = `Weft builds integrations: connectors (a third-party API's auth, actions and events), connections
(a connector authorized for one of your customers), calls through them, canonical mappings, workflows and triggers.
Typical flow: import_openapi (or create_connector + upsert_action) → create_customer → create_connection
(or set_oauth_app + start_oauth) → test_connection → run_action → get_trace; then save_mapping, create_workflow, create_trigger.
Tools come in toolsets; this session lists some of them: list_toolsets shows all, enable_toolset turns more on.
Every write accepts dryRun (validates and shows the result, writes nothing; try it before a delete, which cannot be undone)
and idempotencyKey (a repeated call returns the first result). Update tools change only the fields given.
Nested arguments are shown in short: describe_tool gives a tool's full input and output schemas.
Ids are passed as <noun>Id (connectionId, customerId, workflowId…); a connector, workflow, action, widget or role may also be
named by slug. Lists come newest first, a page at a time: pass nextCursor back as cursor for the next page.
Fields that mean the same in every tool:
${fields}`;
