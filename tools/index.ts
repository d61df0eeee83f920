import type { ToolDefinition } from './define-tool.ts';
import getCdmSchema from './cdm/get-cdm-schema.ts';
import listCdmEntities from './cdm/list-cdm-entities.ts';
import previewMapping from './cdm/preview-mapping.ts';
import saveMapping from './cdm/save-mapping.ts';
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

/** Every tool of the admin (control plane) MCP server. */
export const ADMIN_TOOLS: readonly ToolDefinition[] = [
  listCdmEntities,
  getCdmSchema,
  suggestMapping,
  saveMapping,
  previewMapping,
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
  listConnectors,
  updateConnector,
  createCustomer,
  deleteCustomer,
  getCustomer,
  listCustomers,
  updateCustomer,
  getTrace,
  proxyRequest,
  runAction,
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
];
