import type { ToolDefinition } from './define-tool.ts';
import listToolsets from './session/list-toolsets.ts';
import enableToolset from './session/enable-toolset.ts';
import describeTool from './session/describe-tool.ts';
import getCdmSchema from './cdm/get-cdm-schema.ts';
import listCdmEntities from './cdm/list-cdm-entities.ts';
import previewMapping from './cdm/preview-mapping.ts';
import saveMapping from './cdm/save-mapping.ts';
import listMappings from './cdm/list-mappings.ts';
import getMapping from './cdm/get-mapping.ts';
import suggestMapping from './cdm/suggest-mapping.ts';
import deleteAction from './actions/delete-action.ts';
import getAction from './actions/get-action.ts';
import listActions from './actions/list-actions.ts';
import upsertAction from './actions/upsert-action.ts';
import createConnection from './connections/create-connection.ts';
import deleteConnection from './connections/delete-connection.ts';
import getConnection from './connections/get-connection.ts';
import listConnections from './connections/list-connections.ts';
import setOauthApp from './connections/set-oauth-app.ts';
import startOauth from './connections/start-oauth.ts';
import testConnection from './connections/test-connection.ts';
import createConnector from './connectors/create-connector.ts';
import deleteConnector from './connectors/delete-connector.ts';
import exportConnector from './connectors/export-connector.ts';
import getConnector from './connectors/get-connector.ts';
import importConnectorDefinition from './connectors/import-connector-definition.ts';
import importOpenapi from './connectors/import-openapi.ts';
import testActions from './connectors/test-actions.ts';
import listConnectors from './connectors/list-connectors.ts';
import updateConnector from './connectors/update-connector.ts';
import createCustomer from './customers/create-customer.ts';
import deleteCustomer from './customers/delete-customer.ts';
import getCustomer from './customers/get-customer.ts';
import listCustomers from './customers/list-customers.ts';
import updateCustomer from './customers/update-customer.ts';
import getTrace from './engine/get-trace.ts';
import proxyRequest from './engine/proxy-request.ts';
import runAction from './engine/run-action.ts';
import discoverSpec from './discovery/discover-spec.ts';
import probeEndpoint from './discovery/probe-endpoint.ts';
import readDocs from './discovery/read-docs.ts';
import deleteEvent from './events/delete-event.ts';
import listEvents from './events/list-events.ts';
import upsertEvent from './events/upsert-event.ts';
import createTrigger from './triggers/create-trigger.ts';
import listTriggers from './triggers/list-triggers.ts';
import getTrigger from './triggers/get-trigger.ts';
import updateTrigger from './triggers/update-trigger.ts';
import deleteTrigger from './triggers/delete-trigger.ts';
import previewSchedule from './triggers/preview-schedule.ts';
import listTriggerEvents from './triggers/list-events.ts';
import replayTriggerEvent from './triggers/replay-event.ts';
import listWorkflows from './workflows/list-workflows.ts';
import getWorkflow from './workflows/get-workflow.ts';
import createWorkflow from './workflows/create-workflow.ts';
import updateWorkflow from './workflows/update-workflow.ts';
import deleteWorkflow from './workflows/delete-workflow.ts';
import publishWorkflow from './workflows/publish-workflow.ts';
import deployWorkflow from './workflows/deploy-workflow.ts';
import runWorkflow from './workflows/run-workflow.ts';
import listExecutions from './workflows/list-executions.ts';
import getExecution from './workflows/get-execution.ts';
import createSpec from './specs/create-spec.ts';
import uploadSpec from './specs/upload-spec.ts';
import getGateway from './gateway/get-gateway.ts';
import updateGateway from './gateway/update-gateway.ts';
import buildConnector from './agents/build-connector.ts';
import buildWorkflow from './agents/build-workflow.ts';
import getAgentRun from './agents/get-agent-run.ts';
import approveAgentRun from './agents/approve-agent-run.ts';
import listEnvironments from './operations/list-environments.ts';
import createEnvironment from './operations/create-environment.ts';
import deleteEnvironment from './operations/delete-environment.ts';
import listAlertRules from './operations/list-alert-rules.ts';
import createAlertRule from './operations/create-alert-rule.ts';
import updateAlertRule from './operations/update-alert-rule.ts';
import deleteAlertRule from './operations/delete-alert-rule.ts';
import listAlertIncidents from './operations/list-alert-incidents.ts';
import listAuditEntries from './operations/list-audit-entries.ts';
import setAuditRetention from './operations/set-audit-retention.ts';
import listUsage from './operations/list-usage.ts';
import setQuotas from './operations/set-quotas.ts';
import listPeople from './people/list-people.ts';
import createInvitation from './people/create-invitation.ts';
import updatePerson from './people/update-person.ts';
import deletePerson from './people/delete-person.ts';
import setOwner from './people/set-owner.ts';
import listRoles from './people/list-roles.ts';
import createRole from './people/create-role.ts';
import updateRole from './people/update-role.ts';
import deleteRole from './people/delete-role.ts';
import setWidget from './widgets/set-widget.ts';
import listWidgets from './widgets/list-widgets.ts';
import createEmbedToken from './widgets/create-embed-token.ts';

/** Every tool of the admin (control plane) MCP server. */
export const ADMIN_TOOLS: readonly ToolDefinition[] = [
  listToolsets,
  enableToolset,
  describeTool,
  listCdmEntities,
  getCdmSchema,
  suggestMapping,
  saveMapping,
  previewMapping,
  listMappings,
  getMapping,
  deleteAction,
  getAction,
  listActions,
  upsertAction,
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  setOauthApp,
  startOauth,
  testConnection,
  createConnector,
  deleteConnector,
  exportConnector,
  getConnector,
  importConnectorDefinition,
  importOpenapi,
  testActions,
  createSpec,
  listConnectors,
  updateConnector,
  createCustomer,
  deleteCustomer,
  getCustomer,
  listCustomers,
  updateCustomer,
  getGateway,
  updateGateway,
  getTrace,
  proxyRequest,
  runAction,
  discoverSpec,
  readDocs,
  probeEndpoint,
  deleteEvent,
  listEvents,
  upsertEvent,
  listWorkflows,
  getWorkflow,
  createWorkflow,
  updateWorkflow,
  deleteWorkflow,
  publishWorkflow,
  deployWorkflow,
  runWorkflow,
  listExecutions,
  getExecution,
  createTrigger,
  listTriggers,
  getTrigger,
  updateTrigger,
  deleteTrigger,
  previewSchedule,
  listTriggerEvents,
  replayTriggerEvent,
  buildConnector,
  buildWorkflow,
  getAgentRun,
  approveAgentRun,
  listEnvironments,
  createEnvironment,
  deleteEnvironment,
  listAlertRules,
  createAlertRule,
  updateAlertRule,
  deleteAlertRule,
  listAlertIncidents,
  listAuditEntries,
  setAuditRetention,
  listUsage,
  setQuotas,
  listPeople,
  createInvitation,
  updatePerson,
  deletePerson,
  setOwner,
  listRoles,
  createRole,
  updateRole,
  deleteRole,
  setWidget,
  listWidgets,
  createEmbedToken,
];

/**
 * `weft mcp` over stdio runs on the user's machine: there, and only there, a tool may read a
 * local file (upload_spec). The HTTP servers never list these.
 */
export const STDIO_ONLY_TOOLS: readonly ToolDefinition[] = [uploadSpec];
