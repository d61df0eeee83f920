import { systemTenant, type Tenant } from '../domain/tenant.ts';
import type { ExecutionSpan, Tier } from '../domain/workflow.ts';
import { createRedactor } from '../engine/redact.ts';
import { TransportError } from '../engine/types.ts';
import { AppError, isAppError } from '../errors.ts';
import type { SandboxHost } from './sandbox/isolate.ts';
import { applyMapping } from '../modules/cdm/cdm.service.ts';
import { runAction } from '../modules/connections/actions.service.ts';
import { listConnections } from '../modules/connections/connections.service.ts';
import type { ConnectionRuntime } from '../modules/connections/runtime.ts';
import { inSpan, WEFT_ATTRS } from '../telemetry/tracing.ts';

const MAX_SPANS = 500;
const MAX_FETCH_BYTES = 10 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 30_000;

/** Secrets and durable state as the runtime sees them (see the secrets and state modules). */
export interface RunServices {
  readSecret(args: { orgId: string; name: string }): Promise<string | null>;
  getState(args: StateKey): Promise<{ found: boolean; value: unknown }>;
  setState(args: StateKey & { value: unknown; ttlSeconds?: number }): Promise<void>;
  deleteState(args: StateKey): Promise<void>;
}

export interface StateKey {
  orgId: string;
  customerId: string | null;
  scope: 'org' | 'invocation';
  scopeId: string;
  key: string;
}

/** Where `ctx.step` results live: the database for async runs, memory for Instant runs. */
export interface StepStore {
  get(name: string): Promise<{ value: unknown } | null>;
  put(args: { name: string; value: unknown }): Promise<void>;
}

export function memoryStepStore(): StepStore {
  const steps = new Map<string, unknown>();
  return {
    get: (name) => Promise.resolve(steps.has(name) ? { value: steps.get(name) } : null),
    put: ({ name, value }) => {
      steps.set(name, value);
      return Promise.resolve();
    },
  };
}

/** Collects what a run revealed (secret values) and did (spans), to redact and log it. */
export class RunRecord {
  readonly spans: ExecutionSpan[] = [];
  private readonly secrets = new Set<string>();
  private redactor: (<T>(value: T) => T) | null = null;
  private droppedSpans = 0;

  addSecret(value: string): void {
    if (this.secrets.has(value)) return;
    this.secrets.add(value);
    this.redactor = null;
  }

  span(span: ExecutionSpan): void {
    if (this.spans.length < MAX_SPANS) this.spans.push(span);
    else this.droppedSpans++;
  }

  /**
   * Replaces every secret value the run read, in any encoding the redactor knows, wherever it
   * appears in `value` (keys included).
   */
  redact<T>(value: T): T {
    this.redactor ??= createRedactor(this.secrets);
    return this.redactor(value);
  }
}

function requireString(args: Record<string, unknown>, field: string): string {
  const value = args[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new AppError('bad_request', `${field} must be a non-empty string`);
  }
  return value;
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('bad_request', `${what} must be an object`);
  }
  return value as Record<string, unknown>;
}

export interface RunScope {
  orgId: string;
  customerId: string | null;
  executionId: string;
  workflowSlug: string;
  tier: Tier;
  attempt: number;
  mode: Tenant['mode'];
}

/** The tenant a run acts as: its org and customer, with only what workflow calls need. */
export function runTenant(scope: RunScope): Tenant {
  return systemTenant({
    orgId: scope.orgId,
    customerId: scope.customerId,
    mode: scope.mode,
    actorId: scope.executionId,
    label: `workflow ${scope.workflowSlug}`,
    permissions: ['connections:read', 'connections:execute', 'connectors:read'],
    requestId: scope.executionId,
  });
}

/**
 * The host side of `ctx`: every call a workflow makes arrives here by name with JSON arguments,
 * runs as the run's org and customer, and is recorded as a span.
 */
export function createRunHost({
  runtime,
  services,
  scope,
  steps,
  record,
  signal,
  onError,
}: {
  runtime: ConnectionRuntime;
  services: RunServices;
  scope: RunScope;
  steps: StepStore;
  record: RunRecord;
  /** Aborted when the run ends, so a pending sleep or fetch does not outlive it. */
  signal: AbortSignal;
  /** Unexpected failures (a bug, the database): the workflow only sees 'internal error'. */
  onError: (error: unknown) => void;
}): SandboxHost {
  const tenant = runTenant(scope);
  const stateKey = (args: Record<string, unknown>): StateKey => {
    const scopeName = args['scope'] ?? 'org';
    if (scopeName !== 'org' && scopeName !== 'invocation') {
      throw new AppError('bad_request', "state scope must be 'org' or 'invocation'");
    }
    return {
      orgId: scope.orgId,
      customerId: scope.customerId,
      scope: scopeName,
      scopeId: scopeName === 'invocation' ? scope.executionId : '',
      key: requireString(args, 'key'),
    };
  };

  const connections = new Map<string, string>();
  const connectionFor = async (connector: string): Promise<string> => {
    const known = connections.get(connector);
    if (known) return known;
    if (scope.customerId === null) {
      throw new AppError(
        'bad_request',
        `ctx.connectors.${connector}: this run has no customer; run it with a customerId to use their connections`,
      );
    }
    const found = (
      await listConnections({ runtime, tenant, customerId: scope.customerId, connector })
    ).find((c) => c.status === 'active' || c.status === 'error');
    if (!found) {
      throw new AppError(
        'bad_request',
        `ctx.connectors.${connector}: the customer has no active connection to '${connector}'`,
      );
    }
    connections.set(connector, found.id);
    return found.id;
  };

  const handlers: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
    'secrets.get': async (args) => {
      const value = await services.readSecret({
        orgId: scope.orgId,
        name: requireString(args, 'name'),
      });
      if (value !== null) record.addSecret(value);
      return value;
    },
    'state.get': async (args) => {
      const found = await services.getState(stateKey(args));
      return found.found ? found.value : null;
    },
    'state.set': async (args) => {
      const ttl = args['ttlSeconds'];
      if (ttl !== undefined && (typeof ttl !== 'number' || !(ttl > 0))) {
        throw new AppError('bad_request', 'ttlSeconds must be a positive number');
      }
      await services.setState({
        ...stateKey(args),
        value: args['value'] ?? null,
        ...(typeof ttl === 'number' ? { ttlSeconds: ttl } : {}),
      });
      return null;
    },
    'state.delete': async (args) => {
      await services.deleteState(stateKey(args));
      return null;
    },
    connector: async (args) => {
      const connector = requireString(args, 'connector');
      const action = requireString(args, 'action');
      const input = args['input'] === undefined ? {} : asObject(args['input'], 'connector input');
      const result = await runAction({
        runtime,
        tenant,
        connectionId: await connectionFor(connector),
        action,
        input,
        allPages: false,
        maxItems: 1000,
      });
      return { status: result.status, ok: result.ok, headers: result.headers, body: result.body };
    },
    'cdm.toCanonical': (args) => mapRecord(args, 'to_canonical'),
    'cdm.fromCanonical': (args) => mapRecord(args, 'from_canonical'),
    'http.fetch': async (args) => {
      const url = parseUrl(requireString(args, 'url'));
      const init = args['init'] === undefined ? {} : asObject(args['init'], 'fetch init');
      const method = typeof init['method'] === 'string' ? init['method'].toUpperCase() : 'GET';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(
        init['headers'] === undefined ? {} : asObject(init['headers'], 'fetch headers'),
      )) {
        headers[k.toLowerCase()] = String(v);
      }
      let body: string | undefined;
      if (typeof init['body'] === 'string') body = init['body'];
      else if (init['body'] !== undefined && init['body'] !== null) {
        body = JSON.stringify(init['body']);
        headers['content-type'] ??= 'application/json';
      }
      try {
        const response = await runtime.engine.send(
          { method, url, headers, ...(body === undefined ? {} : { body }) },
          { timeoutMs: FETCH_TIMEOUT_MS, maxResponseBytes: MAX_FETCH_BYTES, signal },
        );
        return {
          status: response.status,
          headers: response.headers,
          body: response.body.toString('utf8'),
        };
      } catch (error) {
        if (error instanceof TransportError) {
          throw new AppError('bad_request', `ctx.http.fetch ${url.origin}: ${error.message}`);
        }
        throw error;
      }
    },
    'step.get': async (args) => {
      const found = await steps.get(requireString(args, 'name'));
      return found ? { done: true, value: found.value } : { done: false };
    },
    'step.put': async (args) => {
      await steps.put({ name: requireString(args, 'name'), value: args['value'] ?? null });
      return null;
    },
    sleep: async (args) => {
      const ms = args['ms'];
      if (typeof ms !== 'number' || !(ms >= 0)) {
        throw new AppError('bad_request', 'ctx.sleep(ms): ms must be a number ≥ 0');
      }
      if (scope.tier !== 'long') {
        throw new AppError(
          'bad_request',
          'ctx.sleep is for Long workflows; set the tier to long to wait inside a run',
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return null;
    },
  };

  async function mapRecord(
    args: Record<string, unknown>,
    direction: 'to_canonical' | 'from_canonical',
  ): Promise<unknown> {
    const [result] = await applyMapping({
      db: runtime.db,
      tenant,
      connector: requireString(args, 'connector'),
      entity: requireString(args, 'entity'),
      direction,
      fields: undefined,
      customerId: scope.customerId,
      records: [args['record'] ?? null],
    });
    if (!result) return null;
    if (result.errors.length > 0) {
      throw new AppError(
        'bad_request',
        `mapping failed: ${result.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      );
    }
    return result.value;
  }

  const spanKind = (name: string): ExecutionSpan['kind'] | null => {
    if (name === 'connector') return 'connector';
    if (name === 'http.fetch') return 'http';
    if (name === 'step.put') return 'step';
    if (name.startsWith('cdm.')) return 'cdm';
    return null;
  };

  const spanName = (name: string, args: Record<string, unknown>): string => {
    if (name === 'connector') return `${String(args['connector'])}.${String(args['action'])}`;
    if (name === 'http.fetch') {
      try {
        const url = new URL(String(args['url']));
        const method = asObject(args['init'] ?? {}, 'init')['method'];
        return `${typeof method === 'string' ? method.toUpperCase() : 'GET'} ${url.origin}${url.pathname}`;
      } catch {
        return 'fetch';
      }
    }
    if (name === 'step.put') return String(args['name']);
    return `${name} ${String(args['entity'])}`;
  };

  return {
    async call({ name, argsJson }) {
      const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
      if (!handler) throw new AppError('bad_request', `ctx has no operation '${name}'`);
      const args = asObject(JSON.parse(argsJson), `${name} arguments`);
      const kind = spanKind(name);
      const startedAt = new Date();
      const started = performance.now();
      try {
        const result = kind
          ? await inSpan({
              name: `ctx.${name} ${spanName(name, args)}`,
              attributes: {
                [WEFT_ATTRS.ctxOperation]: name,
                [WEFT_ATTRS.executionId]: scope.executionId,
              },
              run: () => handler(args),
            })
          : await handler(args);
        if (kind) {
          const status = (result as { status?: unknown } | null)?.status;
          record.span({
            kind,
            name: spanName(name, args),
            startedAt: startedAt.toISOString(),
            durationMs: performance.now() - started,
            ok: true,
            ...(typeof status === 'number' ? { status } : {}),
          });
        }
        return JSON.stringify(result ?? null);
      } catch (error) {
        if (!isAppError(error)) onError(error);
        const message = isAppError(error) ? error.message : 'internal error';
        if (kind) {
          record.span({
            kind,
            name: spanName(name, args),
            startedAt: startedAt.toISOString(),
            durationMs: performance.now() - started,
            ok: false,
            error: message,
          });
        }
        throw isAppError(error) ? error : new AppError('internal', message);
      }
    },
  };
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('bad_request', `ctx.http.fetch: '${text.slice(0, 200)}' is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('bad_request', 'ctx.http.fetch: only http and https URLs are allowed');
  }
  return url;
}
