/**
 * Testing a connector's actions: each action is called with generated input (inputs.ts) and
 * judged — pass or fail, HTTP status, latency, whether the answer matches the action's output
 * schema, and why it failed in the terms of `ErrorClass`. Every test is stored with its request
 * and answer (credentials scrubbed, bodies capped) and the connector version, and compared with
 * the previous test of the same action (drift).
 *
 * Two targets. With a connection, the action runs exactly as run_action runs it. With `mock`,
 * the spec the connector was imported from is loaded (the locked-down loader) and served by a
 * strict local mock (server/mock), and the action runs through the same engine with a made-up
 * credential and the base URL's origin replaced by the mock's; the engine's SSRF guard gets a
 * dispatcher of its own for the run that lets through exactly the mock's 127.0.0.1:port and
 * nothing else, closed with the mock. Writes (anything but GET/HEAD) run only on the mock and
 * only when named in `actions`.
 */
import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import * as actionTestsRepo from '../../db/repositories/action-tests.repo.ts';
import * as connectorsRepo from '../../db/repositories/connectors.repo.ts';
import type {
  ActionTestResult,
  ErrorClass,
  RecordedRequest,
  RecordedResponse,
  StoredActionTest,
  TestActionsInput,
  TestActionsResult,
} from '../../domain/action-test.ts';
import { ERROR_CLASSES } from '../../domain/action-test.ts';
import type { Config } from '../../config.ts';
import type { Action, AuthMethod, Connector } from '../../domain/connector.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { redactedUrl } from '../../engine/auth-apply.ts';
import { executeAction, type CallAuth } from '../../engine/engine.ts';
import { compileSchema } from '../../engine/json-schema.ts';
import { credentialRedactor } from '../../engine/redact.ts';
import { resolveBaseUrl } from '../../engine/request-builder.ts';
import type { OutboundRequest, Send } from '../../engine/types.ts';
import { createHttpClient } from '../../net/http-client.ts';
import { createGuardedDispatcher, guardSettings } from '../../net/ssrf.ts';
import { requireConnector } from '../connectors/connectors.service.ts';
import { runAction } from '../connections/actions.service.ts';
import { requireRecord } from '../connections/records.ts';
import type { ConnectionRuntime } from '../connections/runtime.ts';
import { testInputOf } from './inputs.ts';

const READ_METHODS = new Set(['GET', 'HEAD']);
const MAX_ACTIONS = 200;
const BODY_CAP = 16 * 1024;
const MOCK_ERROR_HEADER = 'x-weft-mock-error';
const SCRUBBED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

type GuardConfig = Pick<Config, 'env' | 'ssrfTestAllowlist' | 'egressAllow'>;

// ---------------------------------------------------------------------------------------------
// Recording

function capBody(text: string | undefined | null): string | null {
  if (text === undefined || text === null || text === '') return null;
  return text.length > BODY_CAP
    ? `${text.slice(0, BODY_CAP)}…[${text.length - BODY_CAP} more]`
    : text;
}

/** The request as sent, with the auth method's credentials masked by name and by value. */
function recordRequest({
  request,
  method,
  redact,
}: {
  request: OutboundRequest;
  method: AuthMethod;
  redact: <T>(value: T) => T;
}): RecordedRequest {
  const headers: Record<string, string> = {};
  const keyHeader =
    method.type === 'api_key' && method.in === 'header' ? method.name.toLowerCase() : null;
  const custom =
    method.type === 'custom' ? Object.keys(method.headers ?? {}).map((h) => h.toLowerCase()) : [];
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    headers[lower] =
      SCRUBBED_HEADERS.has(lower) || lower === keyHeader || custom.includes(lower)
        ? `[redacted ${value.length} chars]`
        : redact(value);
  }
  const bodyCredentials = method.type === 'custom' && Object.keys(method.body ?? {}).length > 0;
  return {
    method: request.method,
    url: redact(redactedUrl(request, method)),
    headers,
    body: bodyCredentials
      ? '[redacted: the auth method puts credentials in the body]'
      : redact(capBody(request.body)),
  };
}

function recordResponse({
  status,
  headers,
  body,
}: {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}): RecordedResponse {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
  if (text.length <= BODY_CAP) return { status, headers, body: body ?? null, truncated: false };
  return { status, headers, body: text.slice(0, BODY_CAP), truncated: true };
}

/** Keys and types of a value, to tell a changed answer from changed data. */
function shapeOf(value: unknown, depth = 0): unknown {
  if (depth > 6) return '…';
  if (Array.isArray(value)) return value.length === 0 ? ['empty'] : [shapeOf(value[0], depth + 1)];
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .slice(0, 100)
        .map((k) => [k, shapeOf((value as Record<string, unknown>)[k], depth + 1)]),
    );
  return value === null ? 'null' : typeof value;
}

function versionOf({ connector, actions }: { connector: Connector; actions: Action[] }): string {
  const {
    actionCount: _a,
    eventCount: _e,
    createdAt: _c,
    updatedAt: _u,
    ...definition
  } = connector;
  const stripped = actions
    .map(({ id: _i, createdAt: _ca, updatedAt: _ua, connectorId: _ci, ...rest }) => rest)
    .sort((a, b) => a.slug.localeCompare(b.slug));
  return createHash('sha256')
    .update(JSON.stringify({ definition, actions: stripped }))
    .digest('hex')
    .slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// Judging

function classOfStatus(status: number): ErrorClass | null {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'path';
  if (status === 405) return 'method';
  if (status === 429) return 'rate_limit';
  if (status === 400 || status === 422) return 'input_schema';
  return null;
}

function classOfError(error: AppError): ErrorClass | null {
  const { code, message } = error;
  if (code === 'validation_failed') return /base URL/.test(message) ? 'base_url' : 'input_schema';
  if (code === 'rate_limited') return 'rate_limit';
  if (code === 'upstream_error') return 'network';
  if (code === 'credentials_rejected' || code === 'connection_expired') return 'auth';
  if (code === 'bad_request') {
    if (/base URL|base path/.test(message)) return 'base_url';
    if (/credential|auth/.test(message)) return 'auth';
    return 'input_schema';
  }
  return null;
}

function errorText(body: unknown, status: number): string {
  if (body !== null && typeof body === 'object') {
    const error = (body as Record<string, unknown>)['error'];
    if (error !== null && typeof error === 'object') {
      const message = (error as Record<string, unknown>)['message'];
      if (typeof message === 'string') return message.slice(0, 500);
    }
  }
  return `HTTP ${status}${typeof body === 'string' && body !== '' ? `: ${body.slice(0, 300)}` : ''}`;
}

function conformance(
  action: Action,
  body: unknown,
): { conforms: boolean | null; error: string | null } {
  if (action.outputSchema === undefined) return { conforms: null, error: null };
  try {
    const result = compileSchema(action.outputSchema, { dialect: 'openapi-3.0' }).validate(body);
    if (result.valid) return { conforms: true, error: null };
    return {
      conforms: false,
      error: `the answer does not match the output schema: ${result.errors
        .slice(0, 3)
        .map((e) => `${e.path || '/'} ${e.message}`)
        .join('; ')}`,
    };
  } catch {
    return { conforms: null, error: null };
  }
}

// ---------------------------------------------------------------------------------------------
// Running

interface Call {
  run(
    action: Action,
    input: Record<string, unknown>,
  ): Promise<{
    status: number;
    headers: Record<string, string>;
    body: unknown;
    request: RecordedRequest | null;
  }>;
}

function capturing(send: Send, onRequest: (request: OutboundRequest) => void): Send {
  return (request, options) => {
    onRequest(request);
    return send(request, options);
  };
}

/** A made-up credential for each kind of auth method: the mock accepts any non-empty value. */
function mockValues(method: AuthMethod): Record<string, string> {
  const values: Record<string, string> = {
    token: 'weft-mock-token',
    access_token: 'weft-mock-token',
    apiKey: 'weft-mock-key',
    username: 'weft-mock-user',
    password: 'weft-mock-password',
  };
  if (method.type === 'custom')
    for (const f of method.fields) values[f.name] ??= `weft-mock-${f.name}`;
  return values;
}

async function judge({
  action,
  input,
  call,
}: {
  action: Action;
  input: Record<string, unknown>;
  call: Call;
}): Promise<Omit<ActionTestResult, 'testId' | 'drift'>> {
  const base = { action: action.slug, method: action.method, path: action.path, input };
  const started = performance.now();
  try {
    const answer = await call.run(action, input);
    const latencyMs = performance.now() - started;
    const response = recordResponse(answer);
    if (answer.status >= 200 && answer.status < 300) {
      const { conforms, error } =
        READ_METHODS.has(action.method) || answer.body !== null
          ? conformance(action, answer.body)
          : { conforms: null, error: null };
      return {
        ...base,
        outcome: conforms === false ? 'fail' : 'pass',
        status: answer.status,
        latencyMs,
        outputConforms: conforms,
        errorClass: conforms === false ? 'output_schema' : null,
        error,
        request: answer.request,
        response,
      };
    }
    const marked = answer.headers[MOCK_ERROR_HEADER];
    const errorClass =
      marked !== undefined && (ERROR_CLASSES as readonly string[]).includes(marked)
        ? (marked as ErrorClass)
        : classOfStatus(answer.status);
    return {
      ...base,
      outcome: 'fail',
      status: answer.status,
      latencyMs,
      outputConforms: null,
      errorClass,
      error: errorText(answer.body, answer.status),
      request: answer.request,
      response,
    };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const status = typeof error.details?.['status'] === 'number' ? error.details['status'] : null;
    return {
      ...base,
      outcome: 'fail',
      status,
      latencyMs: performance.now() - started,
      outputConforms: null,
      errorClass: classOfError(error),
      error: error.message.slice(0, 1000),
      request: null,
      response: null,
    };
  }
}

function connectionCall({
  runtime,
  tenant,
  connectionId,
  connector,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
  connector: Connector;
}): Call {
  return {
    async run(action, input) {
      let sent: OutboundRequest | null = null;
      const watched: ConnectionRuntime = {
        ...runtime,
        engine: { ...runtime.engine, send: capturing(runtime.engine.send, (r) => (sent = r)) },
      };
      const result = await runAction({
        runtime: watched,
        tenant,
        connectionId,
        action: action.slug,
        input,
        allPages: false,
        maxItems: 1,
      });
      const method = connector.authMethods[0] ?? { key: 'none', type: 'none' as const };
      return {
        status: result.status,
        headers: result.headers,
        body: result.body,
        request: sent === null ? null : recordRequest({ request: sent, method, redact: (v) => v }),
      };
    },
  };
}

async function withMock<T>({
  runtime,
  guard,
  connector,
  document,
  method,
  fn,
}: {
  runtime: ConnectionRuntime;
  guard: GuardConfig;
  connector: Connector;
  document: Record<string, unknown>;
  /** The method to use for every action; null: per action, the first the operation accepts. */
  method: AuthMethod | null;
  fn: (call: Call, examples: Map<string, Map<string, unknown>>) => Promise<T>;
}): Promise<T> {
  const [{ startSpecMock }, { readMockSpec, parameterExamples }] = await Promise.all([
    import('../../mock/spec-mock.ts'),
    import('../../mock/operations.ts'),
  ]);
  const mockSpec = readMockSpec(document);
  const examples = parameterExamples(mockSpec);
  const fallback: AuthMethod = connector.authMethods[0] ?? { key: 'none', type: 'none' };
  const fits = (m: AuthMethod, name: string): boolean => {
    const scheme = mockSpec.schemes.get(name);
    if (scheme === undefined || scheme.kind === 'unknown') return false;
    if (scheme.kind === 'apiKey')
      return (
        m.type === 'api_key' &&
        m.in === scheme.in &&
        m.name.toLowerCase() === scheme.name.toLowerCase()
      );
    if (scheme.scheme === 'bearer') return m.type === 'bearer' || m.type === 'oauth2';
    return scheme.scheme === 'basic' && m.type === 'basic';
  };
  // As a connection would: of the connector's methods, one the operation's security accepts.
  const methodFor = (action: Action): AuthMethod => {
    if (method !== null) return method;
    const operation = mockSpec.operations.find(
      (o) => o.method === action.method && o.template === action.path,
    );
    if (operation === undefined || operation.security.length === 0) return fallback;
    return (
      connector.authMethods.find((m) =>
        operation.security.some((names) => names.length > 0 && names.every((n) => fits(m, n))),
      ) ?? fallback
    );
  };
  const mock = await startSpecMock({ document });
  const { port } = new URL(mock.origin);
  // Exactly the mock's address and port, for this run's requests only.
  const dispatcher = createGuardedDispatcher({
    ...guardSettings(guard),
    egressAllow: [...guard.egressAllow, `127.0.0.1:${port}`],
  });
  try {
    const send = createHttpClient({ dispatcher });
    let base: URL;
    if (connector.baseUrl === null) base = new URL(`${mock.url}/`);
    else {
      const configured = resolveBaseUrl({
        baseUrl: connector.baseUrl,
        serverVariables: connector.serverVariables,
        values: {},
      });
      base = new URL(`${configured.pathname}${configured.search}`, mock.origin);
    }
    const call: Call = {
      async run(action, input) {
        const method = methodFor(action);
        const values = mockValues(method);
        const redact = credentialRedactor(method, values);
        const auth: CallAuth = {
          method,
          context: `mock credentials (${method.key})`,
          values: () => Promise.resolve(values),
          refresh: () => Promise.resolve(false),
        };
        let sent: OutboundRequest | null = null;
        const result = await executeAction({
          deps: {
            ...runtime.engine,
            send: capturing(send, (r) => (sent = r)),
            onSpan: () => undefined,
            retry: { ...NO_RETRY },
          },
          action,
          base,
          input,
          auth,
          budgetKey: `mock|${connector.id}`,
          budget: null,
        });
        return {
          status: result.status,
          headers: result.headers,
          body: redact(result.body),
          request: sent === null ? null : recordRequest({ request: sent, method, redact }),
        };
      },
    };
    return await fn(call, examples);
  } finally {
    await mock.close();
    await dispatcher.close();
  }
}

const NO_RETRY = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxWaitMs: 0 };

/**
 * Tests a connector's actions against a mock of its source spec (`mock: true`) or through a
 * connection, stores each test, and reports pass/fail with an error class per action.
 */
export async function testActions({
  runtime,
  tenant,
  guard,
  input,
  store = true,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  /** The SSRF guard settings, to build the mock run's dispatcher from. */
  guard: GuardConfig;
  input: TestActionsInput;
  /** False in a dry run: nothing is written. */
  store?: boolean;
}): Promise<TestActionsResult> {
  requirePermission(tenant, 'connections:read');
  const mock = input.mock === true;
  if (mock === (input.connectionId !== undefined))
    throw new AppError(
      'validation_failed',
      'give either connectionId (test through a real connection) or mock: true (test against a mock built from the connector’s spec)',
    );
  const { connector, actions, spec } = await runtime.db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, input.connector);
    const actions = await connectorsRepo.listActions(sql, { connectorId: connector.id });
    const spec = mock ? await actionTestsRepo.findSpec(sql, { connectorId: connector.id }) : null;
    if (input.connectionId !== undefined) {
      const record = await requireRecord(sql, input.connectionId);
      if (record.connectorId !== connector.id)
        throw new AppError(
          'validation_failed',
          `connection ${record.id} is a connection to '${record.connectorSlug}', not to '${connector.slug}'`,
        );
    }
    return { connector, actions, spec };
  });
  const bySlug = new Map(actions.map((a) => [a.slug, a]));
  const chosen: Action[] = [];
  const skipped: ActionTestResult[] = [];
  if (input.actions === undefined) {
    chosen.push(...actions.filter((a) => READ_METHODS.has(a.method)).slice(0, MAX_ACTIONS));
  } else {
    for (const slug of input.actions) {
      const action = bySlug.get(slug);
      if (action === undefined)
        throw new AppError(
          'not_found',
          `connector '${connector.slug}' has no action '${slug}'; list_actions shows them`,
        );
      if (!READ_METHODS.has(action.method) && !mock) {
        skipped.push({
          testId: null,
          action: slug,
          method: action.method,
          path: action.path,
          outcome: 'skipped',
          status: null,
          latencyMs: 0,
          outputConforms: null,
          errorClass: null,
          error: `${action.method} changes data: writes are tested only against the mock (mock: true)`,
          input: {},
          request: null,
          response: null,
          drift: null,
        });
        continue;
      }
      chosen.push(action);
    }
  }
  const connectorVersion = versionOf({ connector, actions });
  const target = mock ? ('mock' as const) : ('connection' as const);

  const runAll = async (call: Call, examples: Map<string, Map<string, unknown>> | null) => {
    const results: Omit<ActionTestResult, 'testId' | 'drift'>[] = [];
    for (const action of chosen) {
      const testInput = testInputOf({
        action,
        examples: examples?.get(`${action.method} ${action.path}`),
      });
      results.push(await judge({ action, input: testInput, call }));
    }
    return results;
  };

  let specFindings: TestActionsResult['specFindings'] = [];
  let judged: Omit<ActionTestResult, 'testId' | 'drift'>[];
  if (mock) {
    if (spec === null)
      throw new AppError(
        'bad_request',
        `connector '${connector.slug}' has no stored source spec (it was not imported from a spec, or was imported before specs were kept); import it again with import_openapi, or test through a connection with connectionId`,
      );
    const [{ loadSpec }, { specReport }] = await Promise.all([
      import('../../import/load.ts'),
      import('../../import/spec-report.ts'),
    ]);
    const loaded = await loadSpec({
      source:
        spec.sourceKind === 'text'
          ? { kind: 'text', text: spec.content ?? '' }
          : { kind: 'url', url: spec.sourceUrl ?? '' },
      fetchText: runtime.fetchText,
    });
    if (loaded.format === 'postman-2.1')
      throw new AppError(
        'bad_request',
        'a Postman collection cannot be mocked; test through a connection with connectionId',
      );
    const method =
      input.authMethod === undefined
        ? null
        : connector.authMethods.find((m) => m.key === input.authMethod);
    if (method === undefined)
      throw new AppError(
        'not_found',
        `connector '${connector.slug}' has no auth method '${input.authMethod ?? ''}'; it has ${connector.authMethods.map((m) => m.key).join(', ') || 'none'}`,
      );
    specFindings = (await specReport(loaded.document)).slice(0, 50);
    judged = await withMock({
      runtime,
      guard,
      connector,
      document: loaded.document,
      method,
      fn: (call, examples) => runAll(call, examples),
    });
  } else {
    judged = await runAll(
      connectionCall({ runtime, tenant, connectionId: input.connectionId ?? '', connector }),
      null,
    );
  }

  const results = await runtime.db.tenant(tenant, async (sql) => {
    const previous = await actionTestsRepo.latestByAction(sql, {
      connectorId: connector.id,
      target,
      actions: judged.map((j) => j.action),
    });
    const out: ActionTestResult[] = [];
    for (const result of judged) {
      const before = previous.get(result.action);
      const drift =
        before === undefined
          ? null
          : {
              previousTestId: before.id,
              previousAt: before.createdAt,
              statusChanged: before.status !== result.status,
              shapeChanged:
                JSON.stringify(shapeOf(before.response?.body)) !==
                JSON.stringify(shapeOf(result.response?.body)),
              versionChanged: before.connectorVersion !== connectorVersion,
            };
      let testId: string | null = null;
      if (store) {
        const stored = await actionTestsRepo.insert(sql, {
          orgId: tenant.orgId,
          test: {
            connectorId: connector.id,
            action: result.action,
            connectorVersion,
            target,
            connectionId: input.connectionId ?? null,
            passed: result.outcome === 'pass',
            status: result.status,
            latencyMs: result.latencyMs,
            outputConforms: result.outputConforms,
            errorClass: result.errorClass,
            error: result.error,
            input: result.input,
            request: result.request,
            response: result.response,
          },
        });
        testId = stored.id;
      }
      out.push({ ...result, testId, drift });
    }
    return out;
  });
  const all = [...results, ...skipped];
  return {
    connectorId: connector.id,
    connectorVersion,
    target,
    passed: all.filter((r) => r.outcome === 'pass').length,
    failed: all.filter((r) => r.outcome === 'fail').length,
    skipped: skipped.length,
    results: all,
    specFindings,
  };
}

/** Stored tests of a connector (newest first), optionally of one action. */
export async function listActionTests({
  runtime,
  tenant,
  connectorId,
  action,
  limit,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectorId: string;
  action: string | undefined;
  limit: number;
}): Promise<StoredActionTest[]> {
  requirePermission(tenant, 'connections:read');
  return runtime.db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, connectorId);
    return actionTestsRepo.list(sql, { connectorId: connector.id, action, limit });
  });
}

/** Keeps the spec a connector was imported from, for mock tests (import.service calls this). */
export async function keepConnectorSpec({
  db,
  tenant,
  slug,
  source,
}: {
  db: Database;
  tenant: Tenant;
  slug: string;
  /** A local file (the CLI) is not kept: only text and URLs, which any process can read again. */
  source: { kind: 'text'; text: string } | { kind: 'url'; url: string } | { kind: 'path' };
}): Promise<void> {
  if (source.kind === 'path') return;
  await db.tenant(tenant, async (sql) => {
    const connector = await connectorsRepo.find(sql, { ref: slug });
    if (connector === null) return;
    await actionTestsRepo.saveSpec(sql, {
      orgId: tenant.orgId,
      connectorId: connector.id,
      sourceKind: source.kind,
      sourceUrl: source.kind === 'url' ? source.url : null,
      content: source.kind === 'text' ? source.text : null,
      sha256:
        source.kind === 'text' ? createHash('sha256').update(source.text).digest('hex') : null,
    });
  });
}
