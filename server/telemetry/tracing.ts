// The spans Weft records, over the OpenTelemetry API. The API itself is loaded by
// `startTelemetry` (only when an OTLP endpoint is configured) and handed here; until then every
// helper runs its function bare, so a process without an endpoint loads no OpenTelemetry code and
// pays nothing on its call paths.
import type * as OtelApi from '@opentelemetry/api';

type Api = typeof OtelApi;
export type TraceContext = OtelApi.Context;

/** The span kinds Weft uses (the values of the API's SpanKind). */
export const SpanKind = { INTERNAL: 0, SERVER: 1, CLIENT: 2 } as const;
type Kind = (typeof SpanKind)[keyof typeof SpanKind];
const STATUS_ERROR = 2; // SpanStatusCode.ERROR

/** What code that records a span may do with it. */
export interface TraceSpan {
  setAttribute(key: string, value: string | number | boolean): void;
  /** Marks the span as failed, with `error.type` (an HTTP status, an error code). */
  fail(type: string): void;
}

/** Attribute names of our own, under the `weft.` namespace. */
export const WEFT_ATTRS = {
  orgId: 'weft.org.id',
  executionId: 'weft.execution.id',
  workflowSlug: 'weft.workflow.slug',
  workflowVersion: 'weft.workflow.version',
  tier: 'weft.workflow.tier',
  attempt: 'weft.execution.attempt',
  triggeredBy: 'weft.execution.triggered_by',
  ctxOperation: 'weft.ctx.operation',
  agentRunId: 'weft.agent_run.id',
  agentKind: 'weft.agent_run.kind',
} as const;

const NOOP_SPAN: TraceSpan = { setAttribute() {}, fail() {} };

let api: Api | null = null;
let tracer: OtelApi.Tracer | null = null;

/** Called by `startTelemetry` once the SDK is registered (and with null when it stops). */
export function useTelemetryApi({
  loaded,
  version,
}: {
  loaded: Api | null;
  version: string;
}): void {
  api = loaded;
  tracer = loaded?.trace.getTracer('weft', version) ?? null;
}

function handle(span: OtelApi.Span): TraceSpan {
  return {
    setAttribute: (key, value) => void span.setAttribute(key, value),
    fail(type) {
      span.setAttribute('error.type', type);
      span.setStatus({ code: STATUS_ERROR });
    },
  };
}

function errorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return '_OTHER';
}

/**
 * Runs `run` inside a new span, a child of the active one, and ends it when `run` settles. A
 * throw marks the span as failed with the error's code or class as `error.type` (never its
 * message: messages can carry a caller's input).
 */
export async function inSpan<T>({
  name,
  kind = SpanKind.INTERNAL,
  attributes,
  run,
}: {
  name: string;
  kind?: Kind;
  attributes?: Record<string, string | number | boolean>;
  run: (span: TraceSpan) => Promise<T>;
}): Promise<T> {
  if (!tracer) return run(NOOP_SPAN);
  return tracer.startActiveSpan(name, { kind, ...(attributes && { attributes }) }, async (span) => {
    const traced = handle(span);
    try {
      return await run(traced);
    } catch (error) {
      traced.fail(errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Starts a span without making it active, a child of `parent` (the caller ends it: request
 * spans, in hooks). Null while telemetry is off.
 */
export function startSpan({
  name,
  kind,
  attributes,
  parent,
}: {
  name: string;
  kind: Kind;
  attributes: Record<string, string | number | boolean>;
  parent: TraceContext | null;
}): { span: TraceSpan; context: TraceContext; end: () => void } | null {
  if (!api || !tracer || !parent) return null;
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  return { span: handle(span), context: api.trace.setSpan(parent, span), end: () => span.end() };
}

/** The context an incoming request's `traceparent`/`tracestate` headers name (W3C Trace Context). */
export function contextFromHeaders(
  headers: Record<string, string | string[] | undefined>,
): TraceContext | null {
  return api ? api.propagation.extract(api.context.active(), headers) : null;
}

/** Adds `traceparent` (and `tracestate`) for the active span to outgoing request headers. */
export function injectTraceHeaders(headers: Record<string, string>): void {
  api?.propagation.inject(api.context.active(), headers);
}

/** The active context, to enter again later from a callback that runs outside it. */
export function activeContext(): TraceContext | null {
  return api ? api.context.active() : null;
}

/** Runs `fn` with `ctx` active, so spans started inside are its children. */
export function withContext<T>(ctx: TraceContext | null, fn: () => T): T {
  return api && ctx ? api.context.with(ctx, fn) : fn();
}
