// The shapes the pages read from the API (a subset of server/domain; the API is the contract).
export interface List<T> {
  data: T[];
  nextCursor?: string | null;
}

export interface AuthMethod {
  key: string;
  label?: string;
  type: 'none' | 'basic' | 'bearer' | 'api_key' | 'oauth2' | 'custom';
  in?: string;
  name?: string;
  fields?: { name: string; label?: string; secret?: boolean }[];
}

export interface Connector {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  domain: string | null;
  visibility: 'private' | 'public';
  iconUrl: string | null;
  baseUrl: string | null;
  authMethods: AuthMethod[];
  actionCount: number;
  eventCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Action {
  id: string;
  slug: string;
  name: string;
  description?: string;
  method: string;
  path: string;
  parameters: { name: string; in: string; required: boolean; description?: string }[];
  inputSchema: Record<string, unknown>;
  tags: string[];
  deprecated: boolean;
}

export interface ConnectorEvent {
  id: string;
  name: string;
  description?: string;
  subscription?: { mode: string };
  signature?: { scheme: string };
}

export interface Customer {
  id: string;
  name: string;
  externalId: string | null;
  createdAt: string;
}

export interface Connection {
  id: string;
  connector: string;
  customerId: string | null;
  name: string;
  authMethod: string;
  status: string;
  statusReason: string | null;
  credentialFields: string[];
  createdAt: string;
}

export interface Span {
  traceId: string;
  kind: string;
  name: string;
  method: string;
  url: string;
  requestHeaders?: Record<string, string>;
  status: number | null;
  durationMs: number;
  attempts: number;
  error: string | null;
  startedAt: string;
}

export interface ActionResult {
  status: number;
  ok: boolean;
  body: unknown;
  attempts: number;
  durationMs: number;
  traceId: string;
}

export type Tier = 'instant' | 'standard' | 'long';
/** development, staging, production, or one the org created. */
export type Environment = string;

export interface Workflow {
  id: string;
  slug: string;
  name: string;
  description: string;
  tier: Tier;
  timeoutMs: number;
  retry: { enabled: boolean; maxAttempts: number };
  status: 'active' | 'inactive';
  language: 'typescript' | 'javascript';
  draftSource: string;
  latestVersion: number;
  /** What each environment runs: the version and when it was deployed. */
  deployments: Record<Environment, { version: number; deployedAt: string }>;
  updatedAt: string;
}

export interface WorkflowVersion {
  id: string;
  version: number;
  note: string | null;
  tier: Tier;
  createdAt: string;
}

export interface RunResult {
  executionId: string;
  version: number;
  environment: Environment;
  status: string;
  output?: unknown;
  error?: { kind: string; message: string } | null;
  durationMs?: number;
}

export interface Execution {
  id: string;
  workflowId: string;
  workflowSlug?: string;
  version: number;
  environment: Environment;
  tier: Tier;
  status: string;
  triggeredBy: string;
  customerId: string | null;
  attempt: number;
  maxAttempts: number;
  input: unknown;
  output: unknown;
  error: { kind: string; message: string } | null;
  rerunOf: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface ExecutionDetail extends Execution {
  headers: Record<string, unknown>;
  logs: { level: string; message: string; at: number }[];
  spans: {
    kind: string;
    name: string;
    startedAt: string;
    durationMs: number;
    ok: boolean;
    status?: number;
    error?: string;
  }[];
  steps: { name: string; attempt: number; createdAt: string }[];
}

export interface TriggerRoute {
  id: string;
  workflowSlug: string;
  environment: Environment;
  filter: string | null;
}

export interface Trigger {
  id: string;
  type: 'webhook' | 'scheduler' | 'app_event';
  name: string;
  description: string;
  status: string;
  routes: TriggerRoute[];
  webhook?: { auth: { type: string }; mode: string; url: string };
  scheduler?: { schedule: Record<string, unknown>; timezone: string; nextRunAt: string | null };
  appEvent?: { connectionId: string; event: string; connector: string; subscription: unknown };
  secret?: string;
  createdAt: string;
}

export interface TriggerEvent {
  id: string;
  triggerId: string;
  source: string;
  verdict: string;
  matchedRoutes: string[];
  executions: { routeId: string; executionId: string; status: string }[];
  error: string | null;
  deadLetter: boolean;
  attempts: number;
  payload: unknown;
  receivedAt: string;
}

export interface Mapping {
  id: string;
  connector: string;
  entity: string;
  direction: 'to_canonical' | 'from_canonical';
  version: number;
  fields: Record<string, string>;
  note: string | null;
  createdAt: string;
}

export interface AgentRun {
  id: string;
  kind: string;
  status: string;
  input: unknown;
  report: unknown;
  error: string | null;
  usage: { tokensIn: number; tokensOut: number; costUsd: number };
  pending: { stage: string; summary: string } | null;
  createdAt: string;
  finishedAt: string | null;
  steps?: {
    name: string;
    status: string;
    summary: string | null;
    error: string | null;
    startedAt: string;
    finishedAt: string | null;
  }[];
  spans?: {
    step: string;
    tool: string;
    status: string;
    summary: string;
    durationMs: number;
    at: string;
  }[];
}
