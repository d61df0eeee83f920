import { randomUUID } from 'node:crypto';
import type { Action, AuthMethod, Pagination } from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import { applyAuth, redactedUrl } from './auth-apply.ts';
import { compileSchema } from './json-schema.ts';
import { credentialRedactor } from './redact.ts';
import { maskedRequestHeaders } from './mask-headers.ts';
import { itemsOf, nextPage } from './pagination.ts';
import type { BudgetConfig, RateBudgets } from './rate-budget.ts';
import { buildActionRequest } from './request-builder.ts';
import { DEFAULT_RETRY, sendWithRetry, waitFromHeaders, type RetryPolicy } from './retry.ts';
import {
  copyRequest,
  getPath,
  TransportError,
  type OutboundRequest,
  type OutboundResponse,
  type Send,
  type Span,
} from './types.ts';

/** What the engine needs to authenticate one connection's calls. */
export interface CallAuth {
  readonly method: AuthMethod;
  /** Names the connection and method in errors; never holds a secret. */
  readonly context: string;
  /** Current credential values, tokens included (refreshed ahead of expiry). */
  values(): Promise<Readonly<Record<string, string>>>;
  /** The API rejected the credentials: refresh if the method can. True means "send again". */
  refresh(): Promise<boolean>;
}

export interface EngineDeps {
  send: Send;
  budgets: RateBudgets;
  retry?: RetryPolicy;
  timeoutMs: number;
  maxResponseBytes: number;
  /** The API asked to slow down: tell other processes (the budget here is already paused). */
  onThrottled?: (budgetKey: string, untilMs: number) => void;
  onSpan?: (span: Span) => void;
}

export interface CallOutcome {
  response: OutboundResponse;
  body: unknown;
  attempts: number;
  durationMs: number;
  span: Span;
  /**
   * The answer came from another origin than the request's (a redirect led there), which got none
   * of the connection's credentials: its 401 or 403 says nothing about them.
   */
  foreign: boolean;
}

const DROPPED_RESPONSE_HEADERS = new Set([
  'set-cookie',
  'set-cookie2',
  'authorization',
  'proxy-authenticate',
  'www-authenticate',
]);

export function publicHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([k]) => !DROPPED_RESPONSE_HEADERS.has(k)),
  );
}

export function parseBody(response: OutboundResponse): unknown {
  if (response.body.length === 0) return null;
  const text = response.body.toString('utf8');
  const type = response.headers['content-type'] ?? '';
  if (/\bjson\b/i.test(type) || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function isExpiredSignal(method: AuthMethod, response: OutboundResponse, body: unknown): boolean {
  if (response.status === 401) return true;
  if (method.type !== 'oauth2' || method.expiredSignal === undefined) return false;
  const signal = method.expiredSignal;
  if (signal.status !== undefined && response.status !== signal.status) return false;
  if (signal.bodyPath === undefined) return signal.status !== undefined;
  const value = getPath(body, signal.bodyPath);
  if (value === undefined || value === null) return false;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return signal.bodyValues === undefined || signal.bodyValues.includes(text);
}

/**
 * Sends one request through auth, the shared rate budget and retries. On 401 (or the
 * method's "expired" signal) it refreshes the credentials once and sends again.
 */
export async function executeRequest({
  deps,
  build,
  auth,
  budgetKey,
  budget,
  name,
  kind,
  traceId,
}: {
  deps: EngineDeps;
  build: () => OutboundRequest;
  auth: CallAuth | null;
  budgetKey: string;
  budget: BudgetConfig | null;
  name: string;
  kind: Span['kind'];
  traceId: string;
}): Promise<CallOutcome> {
  const startedAt = new Date();
  const started = performance.now();
  let attempts = 0;
  let lastUrl = '';
  let lastMethod = '';
  let lastHeaders: Record<string, string> = {};
  // The span shows the URL and the name (a proxy path): no credential value, in any encoding.
  let redact = <T>(value: T): T => value;
  const attempt = async (): Promise<{
    response: OutboundResponse;
    body: unknown;
    foreign: boolean;
  }> => {
    const request = build();
    let bareHeaders = request.headers;
    if (auth) {
      const values = await auth.values();
      const bare = copyRequest(request);
      bareHeaders = bare.headers;
      const authorize = (target: OutboundRequest) =>
        applyAuth({ method: auth.method, values, request: target, context: auth.context });
      authorize(request);
      // Redirects put the credentials back only on this origin (server/net/http-client.ts).
      request.redirects = { bare, authorize };
      redact = credentialRedactor(auth.method, values);
    }
    // Masked by parameter name, then by value in any encoding.
    lastUrl = redact(redactedUrl(request, auth?.method ?? null));
    lastMethod = request.method;
    lastHeaders = maskedRequestHeaders({
      sent: request.headers,
      bare: bareHeaders,
      method: auth?.method ?? null,
      redact,
    });
    const outcome = await sendWithRetry({
      send: deps.send,
      request,
      options: { timeoutMs: deps.timeoutMs, maxResponseBytes: deps.maxResponseBytes },
      policy: deps.retry ?? DEFAULT_RETRY,
      hooks: {
        beforeAttempt: () => deps.budgets.acquire(budgetKey, budget),
        onThrottled: (until) => {
          deps.budgets.pause(budgetKey, until);
          deps.onThrottled?.(budgetKey, until);
        },
      },
    });
    attempts += outcome.attempts;
    return {
      response: outcome.response,
      body: parseBody(outcome.response),
      foreign: outcome.response.url.origin !== request.url.origin,
    };
  };
  const finish = (status: number | null, error: string | null): Span => {
    const span: Span = {
      traceId,
      name: redact(name),
      kind,
      method: lastMethod,
      url: lastUrl,
      requestHeaders: lastHeaders,
      status,
      durationMs: performance.now() - started,
      attempts,
      error,
      startedAt,
    };
    deps.onSpan?.(span);
    return span;
  };
  try {
    let result = await attempt();
    if (
      auth &&
      !result.foreign &&
      isExpiredSignal(auth.method, result.response, result.body) &&
      (await auth.refresh())
    ) {
      result = await attempt();
    }
    const span = finish(result.response.status, null);
    return { ...result, attempts, durationMs: span.durationMs, span };
  } catch (error) {
    finish(
      null,
      error instanceof TransportError || error instanceof AppError
        ? error.message
        : 'internal error',
    );
    if (error instanceof TransportError) {
      throw new AppError('upstream_error', `${redact(name)}: ${error.message}`, {
        kind: error.kind,
        ...(auth && { connection: auth.context }),
      });
    }
    throw error;
  }
}

export interface ActionCallResult {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  body: unknown;
  attempts: number;
  durationMs: number;
  traceId: string;
  items?: unknown[];
  pages?: number;
  /** See `CallOutcome.foreign` (of the first page). */
  foreign: boolean;
}

function rateLimited(response: OutboundResponse): AppError {
  const wait = waitFromHeaders(response.headers, Date.now());
  const retryAfterSeconds = wait === null ? 60 : Math.ceil(wait / 1000);
  return new AppError(
    'rate_limited',
    `the API is rate limiting this connection; retry after ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}

/**
 * Runs an action: validates the input against the action's schema, builds and sends the
 * request, and with `allPages` walks the pagination up to `maxItems`.
 */
export async function executeAction({
  deps,
  action,
  base,
  input,
  auth,
  budgetKey,
  budget,
  allPages = false,
  maxItems = 1000,
  traceId = randomUUID(),
}: {
  deps: EngineDeps;
  action: Action;
  base: URL;
  input: Record<string, unknown>;
  auth: CallAuth | null;
  budgetKey: string;
  budget: BudgetConfig | null;
  allPages?: boolean;
  maxItems?: number;
  traceId?: string;
}): Promise<ActionCallResult> {
  const validation = compileSchema(action.inputSchema, { dialect: 'openapi-3.0' }).validate(input);
  if (!validation.valid) {
    throw new AppError(
      'validation_failed',
      `invalid input for ${action.slug}: ${validation.errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`,
      { issues: validation.errors },
    );
  }
  const call = (build: () => OutboundRequest) =>
    executeRequest({
      deps,
      build,
      auth,
      budgetKey,
      budget,
      name: action.slug,
      kind: 'action',
      traceId,
    });

  let pageInput = input;
  let outcome = await call(() => buildActionRequest({ action, base, input: pageInput }));
  if (outcome.response.status === 429) throw rateLimited(outcome.response);
  const first = outcome;
  const pagination: Pagination | undefined = action.pagination;
  if (!allPages || pagination === undefined || outcome.response.status >= 300) {
    return toResult(first, traceId);
  }
  const items: unknown[] = [...itemsOf(pagination, outcome.body)];
  let pages = 1;
  let attempts = outcome.attempts;
  let durationMs = outcome.durationMs;
  while (items.length < maxItems) {
    const next = nextPage({
      pagination,
      input: pageInput,
      response: outcome.response,
      body: outcome.body,
    });
    if (next === null) break;
    if ('url' in next) {
      const target = new URL(next.url, base);
      if (target.origin !== base.origin) break;
      outcome = await call(() => ({
        method: action.method,
        url: new URL(target),
        headers: { accept: 'application/json' },
      }));
    } else {
      pageInput = next.input;
      outcome = await call(() => buildActionRequest({ action, base, input: pageInput }));
    }
    if (outcome.response.status === 429) throw rateLimited(outcome.response);
    if (outcome.response.status >= 300) break;
    pages++;
    attempts += outcome.attempts;
    durationMs += outcome.durationMs;
    const pageItems = itemsOf(pagination, outcome.body);
    if (pageItems.length === 0) break;
    items.push(...pageItems);
  }
  return {
    ...toResult(first, traceId),
    attempts,
    durationMs,
    items: items.slice(0, maxItems),
    pages,
  };
}

function toResult(outcome: CallOutcome, traceId: string): ActionCallResult {
  return {
    status: outcome.response.status,
    ok: outcome.response.status >= 200 && outcome.response.status < 300,
    headers: publicHeaders(outcome.response.headers),
    body: outcome.body,
    attempts: outcome.attempts,
    durationMs: outcome.durationMs,
    traceId,
    foreign: outcome.foreign,
  };
}
