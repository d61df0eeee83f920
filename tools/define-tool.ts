import { z } from 'zod';
import type { Config } from '../server/config.ts';
import type { Database } from '../server/db/database.ts';
import { requirePermission, type Permission, type Tenant } from '../server/domain/tenant.ts';
import { unstorableTextIn } from '../server/domain/text.ts';
import { withRollback } from '../server/db/rollback.ts';
import { AppError } from '../server/errors.ts';
import { runOnce } from '../server/modules/idempotency/idempotency.service.ts';
import type { ConnectionRuntime } from '../server/modules/connections/runtime.ts';
import type { WorkflowRunner } from '../server/runtime/runner.ts';
import type { EventRouter } from '../server/runtime/event-router.ts';
import type { TriggerDeps } from '../server/modules/triggers/triggers.service.ts';
import type { SpanWriter } from '../server/modules/traces/span-writer.ts';
import type { AgentRunQueue } from '../server/runtime/agent-runs/executor.ts';
import { inSpan } from '../server/telemetry/tracing.ts';

/** A toolset as a session sees it. */
export interface ToolsetView {
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly tools: string[];
}

/**
 * The MCP session a call belongs to: its toolsets and the tools' full schemas. Only the session
 * tools (list_toolsets, enable_toolset, describe_tool) use it; a server without sessions leaves
 * it out and those tools answer that they are not available.
 */
export interface ToolSession {
  toolsets(): ToolsetView[];
  /** Turns toolsets on (and tells the client its tool list changed); the names now enabled. */
  enable(names: readonly string[]): string[];
  /** A tool's exact input and output JSON Schemas, or null for no such tool. */
  schemasOf(tool: string): { inputSchema: unknown; outputSchema: unknown } | null;
}

/** What a server hands `runTool` for each call; the handler's context is derived from it. */
export interface ToolServices {
  readonly tenant: Tenant;
  readonly db: Database;
  readonly runtime: ConnectionRuntime;
  readonly config: Config;
  /** The workflow runner, started on first use. */
  readonly workflows: () => Promise<WorkflowRunner>;
  /** The public URL of a webhook trigger. */
  readonly hookUrl: (triggerId: string) => string;
  readonly events: () => Promise<EventRouter>;
  /** Queues agent runs for the workers, opened on first use. */
  readonly agentRuns: () => Promise<AgentRunQueue>;
  readonly session?: ToolSession;
}

/**
 * What every tool handler gets: the caller's tenant and the services' dependencies. There is
 * one database handle, `db`: `runtime.db` and `triggers.db` are the same one, so a dry run's
 * rollback covers whatever a service writes.
 */
export interface ToolContext {
  readonly tenant: Tenant;
  readonly db: Database;
  readonly runtime: ConnectionRuntime;
  readonly config: Config;
  /** The workflow runner, started on first use (refused in a dry run). */
  readonly workflows: () => Promise<WorkflowRunner>;
  /** What trigger services need (webhook URLs, secrets), and the event router. */
  readonly triggers: TriggerDeps;
  readonly events: () => Promise<EventRouter>;
  /** Queues agent runs (refused in a dry run: the queue is outside the rolled-back transaction). */
  readonly agentRuns: () => Promise<AgentRunQueue>;
  /** True when the caller asked for a dry run: `db` rolls every transaction back. */
  readonly dryRun: boolean;
  /** The MCP session, for the session tools; null outside one. */
  readonly session: ToolSession | null;
}

// A dry run calls out to nothing (tools that do are `external` and stop before their handler),
// so there are no spans to keep; dropping them keeps the span writer's own handle out of it.
const NO_SPANS: SpanWriter = {
  record: () => undefined,
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

function refusedInDryRun(what: string): () => Promise<never> {
  // The runner and the router are long-lived, with handles of their own: nothing they write
  // could be rolled back, so a dry run must not reach them.
  return () => Promise.reject(new Error(`a dry run cannot reach the ${what}`));
}

/** The handler's context over one database handle: the real one, or a dry run's. */
export function toolContext({
  services,
  db,
  dryRun,
}: {
  services: ToolServices;
  db: Database;
  dryRun: boolean;
}): ToolContext {
  const runtime: ConnectionRuntime = {
    ...services.runtime,
    db,
    ...(dryRun && { spans: NO_SPANS }),
  };
  return {
    tenant: services.tenant,
    db,
    runtime,
    config: services.config,
    workflows: dryRun ? refusedInDryRun('workflow runner') : services.workflows,
    triggers: { db, keyring: runtime.keyring, runtime, hookUrl: services.hookUrl },
    events: dryRun ? refusedInDryRun('event router') : services.events,
    agentRuns: dryRun ? refusedInDryRun('agent-run queue') : services.agentRuns,
    dryRun,
    session: services.session ?? null,
  };
}

export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

type AnyObject = z.ZodObject;

export interface ToolDefinition<I extends AnyObject = AnyObject, O extends AnyObject = AnyObject> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly annotations: ToolAnnotations;
  /**
   * What the caller's key must hold: checked before anything else, dry runs included. Null only
   * for the session tools, which read and change nothing but the MCP session itself.
   */
  readonly permission: Permission | null;
  /** Writes accept `dryRun` and `idempotencyKey` (added to the input schema automatically). */
  readonly write: boolean;
  /** A side effect outside the database (an HTTP call): a dry run must not run the handler. */
  readonly external?: boolean;
  handler(input: z.infer<I>, ctx: ToolContext): Promise<z.infer<O>>;
  /** One line for the text copy of a result. */
  summarize?(output: z.infer<O>): string;
  /** A result that reports a failure (a failed execution): sent with `isError` set. */
  failed?(output: z.infer<O>): boolean;
}

const WRITE_FIELDS = {
  dryRun: z.boolean().optional().describe('Validate and show the result without writing anything'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Repeat a call with the same key to get the first result back instead of writing twice',
    ),
};

export function defineTool<I extends AnyObject, O extends AnyObject>(tool: {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  permission: Permission | null;
  write?: boolean;
  external?: boolean;
  handler: (input: z.infer<I>, ctx: ToolContext) => Promise<z.infer<O>>;
  summarize?: (output: z.infer<O>) => string;
  failed?: (output: z.infer<O>) => boolean;
}): ToolDefinition {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(tool.name))
    throw new Error(`tool name ${tool.name} must be snake_case, at most 64 characters`);
  return { ...tool, write: tool.write ?? false };
}

/** The schema a client sees: the tool's input plus `dryRun`/`idempotencyKey` for writes. */
export function advertisedInput(tool: ToolDefinition): AnyObject {
  return tool.write ? tool.input.extend(WRITE_FIELDS).strict() : tool.input;
}

const DRY_RUN_MARK = z
  .literal(true)
  .optional()
  .describe('Set on the answer to a dry run: this is what would have been written');

/** What a dry run of a tool with an outside side effect answers: the call it would make. */
const DryRunPreviewSchema = z
  .object({
    dryRun: z.literal(true),
    wouldCall: z.string(),
    input: z.record(z.string(), z.unknown()),
  })
  .strict();

/**
 * The output schema a client sees (clients check every answer against it): a write's answer may
 * carry `dryRun`, and a dry run of an `external` tool answers with the preview instead.
 */
export function advertisedOutput(tool: ToolDefinition): z.ZodType {
  if (!tool.write) return tool.output;
  const extended = tool.output.extend({ dryRun: DRY_RUN_MARK });
  const { description } = tool.output;
  const marked = description === undefined ? extended : extended.describe(description);
  return tool.external ? z.union([marked, DryRunPreviewSchema]) : marked;
}

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json['$schema'];
  return json;
}

export type ToolOutcome =
  | { ok: true; structured: Record<string, unknown>; text: string; failed?: boolean }
  | { ok: false; code: string; message: string; details?: Record<string, unknown> };

/** The edit distance of two keys (case-insensitive): how a typo is matched to a valid key. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[y.length] ?? 0;
}

/**
 * The valid key closest to an unknown one, if any is close: a small edit away (`conector`), or
 * the unknown key as the end of a valid one (`id` → `connectionId`, `slug` → `connectorSlug`).
 */
export function closestKey(unknown: string, valid: readonly string[]): string | null {
  const suffix = valid.filter((k) => k.toLowerCase().endsWith(unknown.toLowerCase()));
  if (suffix.length === 1 && suffix[0] !== undefined) return suffix[0];
  let best: { key: string; distance: number } | null = null;
  for (const key of valid) {
    const distance = editDistance(unknown, key);
    if (best === null || distance < best.distance) best = { key, distance };
  }
  if (best === null) return null;
  return best.distance <= Math.max(2, Math.floor(unknown.length * 0.4)) ? best.key : null;
}

/** The property names an object at `path` of a JSON Schema may have (across union branches). */
function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  const branches = (s['anyOf'] ?? s['oneOf']) as unknown[] | undefined;
  if (Array.isArray(branches)) return [...new Set(branches.flatMap((b) => keysAt(b, path)))];
  const [head, ...rest] = path;
  if (head === undefined) {
    const props = s['properties'];
    return typeof props === 'object' && props !== null ? Object.keys(props) : [];
  }
  if (typeof head === 'number') return keysAt(s['items'], rest);
  const props = s['properties'] as Record<string, unknown> | undefined;
  return keysAt(props?.[String(head)] ?? s['additionalProperties'], rest);
}

function issuesText(error: z.ZodError, schema: z.ZodType): string {
  let json: Record<string, unknown> | undefined;
  return error.issues
    .map((i) => {
      const where = i.path.length > 0 ? i.path.join('.') : '(input)';
      if (i.code !== 'unrecognized_keys') return `${where}: ${i.message}`;
      json ??= jsonSchemaOf(schema);
      const valid = keysAt(json, i.path);
      const each = i.keys.map((key) => {
        const near = closestKey(key, valid);
        return near === null ? `"${key}"` : `"${key}" (did you mean "${near}"?)`;
      });
      return `${where}: Unrecognized key${i.keys.length > 1 ? 's' : ''} ${each.join(', ')}; valid keys: ${valid.join(', ')}`;
    })
    .join('; ');
}

interface ToolCall {
  tool: ToolDefinition;
  args: unknown;
  ctx: ToolServices;
  onUnexpected: (error: unknown) => string;
}

/**
 * Validates, runs and records one tool call. Expected failures come back as a message that
 * says what to do next; anything else is logged by the caller and reported by reference only.
 * Each call is a span (`execute_tool <name>`, the GenAI semantic conventions' operation).
 */
export function runTool(call: ToolCall): Promise<ToolOutcome> {
  return inSpan({
    name: `execute_tool ${call.tool.name}`,
    attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': call.tool.name },
    run: async (span) => {
      const outcome = await runUntraced(call);
      if (!outcome.ok) span.fail(outcome.code);
      return outcome;
    },
  });
}

async function runUntraced({ tool, args, ctx, onUnexpected }: ToolCall): Promise<ToolOutcome> {
  // First, so a key without the permission learns nothing: not the argument schema's verdict,
  // not a dry run's result, not a stored idempotent answer.
  try {
    if (tool.permission !== null) requirePermission(ctx.tenant, tool.permission);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return {
      ok: false,
      code: error.code,
      message: error.message,
      ...(error.details !== undefined && { details: error.details }),
    };
  }
  const schema = advertisedInput(tool);
  const parsed = schema.safeParse(args ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      code: 'validation_failed',
      message: `invalid arguments for ${tool.name}: ${issuesText(parsed.error, schema)}`,
    };
  }
  // Names, slugs and other typed text cannot hold NUL or unpaired surrogates (the HTTP routes
  // refuse them the same way); arguments typed as arbitrary JSON are data and pass as they are.
  const unstorable = unstorableTextIn(parsed.data, schema);
  if (unstorable !== null) {
    return {
      ok: false,
      code: 'validation_failed',
      message: `invalid arguments for ${tool.name}: ${unstorable.path} ${unstorable.message}`,
      details: { issues: [{ path: unstorable.path, message: unstorable.message }] },
    };
  }
  const {
    dryRun = false,
    idempotencyKey,
    ...input
  } = parsed.data as Record<string, unknown> & { dryRun?: boolean; idempotencyKey?: string };
  try {
    if (dryRun && tool.external) {
      return {
        ok: true,
        structured: { dryRun: true, wouldCall: tool.name, input },
        text: `dry run: ${tool.name} would be called with ${JSON.stringify(input)}; nothing was sent or written`,
      };
    }
    if (dryRun) {
      // A dry run goes through the real code paths in one transaction that is rolled back.
      const output = await withRollback({
        db: ctx.db,
        scope: ctx.tenant,
        fn: (db) => tool.handler(input, toolContext({ services: ctx, db, dryRun })),
      });
      const structured = tool.output.parse(output);
      return {
        ok: true,
        structured: { ...structured, dryRun: true },
        text: `dry run (nothing written): ${tool.summarize?.(structured) ?? `${tool.name} done`}`,
      };
    }
    const call = async () =>
      tool.output.parse(
        await tool.handler(input, toolContext({ services: ctx, db: ctx.db, dryRun: false })),
      );
    const { response: structured, repeated } =
      idempotencyKey === undefined
        ? { response: await call(), repeated: false }
        : await runOnce({
            db: ctx.db,
            scope: ctx.tenant,
            key: idempotencyKey,
            operation: tool.name,
            input,
            run: call,
          });
    const summary = tool.summarize?.(structured) ?? `${tool.name} done`;
    return {
      ok: true,
      structured,
      ...(tool.failed?.(structured) === true && { failed: true }),
      text: repeated ? `${summary} (repeated call: first result returned)` : summary,
    };
  } catch (error) {
    if (error instanceof AppError) {
      return {
        ok: false,
        code: error.code,
        message: error.message,
        ...(error.details !== undefined && { details: error.details }),
      };
    }
    return {
      ok: false,
      code: 'internal',
      message: `internal error (ref ${onUnexpected(error)}); try again, or report the reference`,
    };
  }
}
