import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../server/config.ts';
import { isUniqueViolation, type Database } from '../server/db/database.ts';
import { requirePermission, type Permission, type Tenant } from '../server/domain/tenant.ts';
import { AppError } from '../server/errors.ts';
import type { ConnectionRuntime } from '../server/modules/connections/runtime.ts';
import type { WorkflowRunner } from '../server/modules/workflows/runner.ts';
import type { EventRouter } from '../server/modules/triggers/router.ts';
import type { TriggerDeps } from '../server/modules/triggers/triggers.service.ts';

/** What every tool handler gets: the caller's tenant and the services' dependencies. */
export interface ToolContext {
  readonly tenant: Tenant;
  readonly db: Database;
  readonly runtime: ConnectionRuntime;
  readonly config: Config;
  /** The workflow runner, started on first use. */
  readonly workflows: () => Promise<WorkflowRunner>;
  /** What trigger services need (webhook URLs, secrets), and the event router. */
  readonly triggers: TriggerDeps;
  readonly events: () => Promise<EventRouter>;
  /** True when the caller asked for a dry run: `db` rolls every transaction back. */
  readonly dryRun: boolean;
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
  /** What the caller's key must hold: checked before anything else, dry runs included. */
  readonly permission: Permission;
  /** Writes accept `dryRun` and `idempotencyKey` (added to the input schema automatically). */
  readonly write: boolean;
  /** A side effect outside the database (an HTTP call): a dry run must not run the handler. */
  readonly external?: boolean;
  handler(input: z.infer<I>, ctx: ToolContext): Promise<z.infer<O>>;
  /** One line for the text copy of a result. */
  summarize?(output: z.infer<O>): string;
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
  permission: Permission;
  write?: boolean;
  external?: boolean;
  handler: (input: z.infer<I>, ctx: ToolContext) => Promise<z.infer<O>>;
  summarize?: (output: z.infer<O>) => string;
}): ToolDefinition {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(tool.name))
    throw new Error(`tool name ${tool.name} must be snake_case, at most 64 characters`);
  return { ...tool, write: tool.write ?? false };
}

/** The schema a client sees: the tool's input plus `dryRun`/`idempotencyKey` for writes. */
export function advertisedInput(tool: ToolDefinition): AnyObject {
  return tool.write ? tool.input.extend(WRITE_FIELDS).strict() : tool.input;
}

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json['$schema'];
  return json;
}

class DryRunRollback extends Error {
  readonly result: unknown;
  constructor(result: unknown) {
    super('dry run');
    this.result = result;
  }
}

/** A database whose transactions all roll back: a dry run goes through the real code paths. */
export function dryRunDatabase(db: Database): Database {
  return {
    ...db,
    async tenant(scope, fn) {
      try {
        await db.tenant(scope, async (sql) => {
          throw new DryRunRollback(await fn(sql));
        });
      } catch (error) {
        if (error instanceof DryRunRollback) return error.result as never;
        throw error;
      }
      throw new Error('unreachable');
    },
  };
}

export type ToolOutcome =
  | { ok: true; structured: Record<string, unknown>; text: string }
  | { ok: false; code: string; message: string; details?: Record<string, unknown> };

function hashRequest(name: string, input: unknown): string {
  return createHash('sha256')
    .update(`${name}\n${JSON.stringify(input)}`)
    .digest('hex');
}

function issuesText(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(input)'}: ${i.message}`)
    .join('; ');
}

/**
 * Validates, runs and records one tool call. Expected failures come back as a message that
 * says what to do next; anything else is logged by the caller and reported by reference only.
 */
export async function runTool({
  tool,
  args,
  ctx,
  onUnexpected,
}: {
  tool: ToolDefinition;
  args: unknown;
  ctx: Omit<ToolContext, 'dryRun'>;
  onUnexpected: (error: unknown) => string;
}): Promise<ToolOutcome> {
  // First, so a key without the permission learns nothing: not the argument schema's verdict,
  // not a dry run's result, not a stored idempotent answer.
  try {
    requirePermission(ctx.tenant, tool.permission);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return {
      ok: false,
      code: error.code,
      message: error.message,
      ...(error.details !== undefined && { details: error.details }),
    };
  }
  const parsed = advertisedInput(tool).safeParse(args ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      code: 'validation_failed',
      message: `invalid arguments for ${tool.name}: ${issuesText(parsed.error)}`,
    };
  }
  const {
    dryRun = false,
    idempotencyKey,
    ...input
  } = parsed.data as Record<string, unknown> & { dryRun?: boolean; idempotencyKey?: string };
  const toolCtx: ToolContext = { ...ctx, dryRun, db: dryRun ? dryRunDatabase(ctx.db) : ctx.db };
  try {
    if (dryRun && tool.external) {
      return {
        ok: true,
        structured: { dryRun: true, wouldCall: tool.name, input },
        text: `dry run: ${tool.name} would be called with ${JSON.stringify(input)}; nothing was sent or written`,
      };
    }
    const requestHash = hashRequest(tool.name, input);
    if (idempotencyKey !== undefined && !dryRun) {
      const prior = await ctx.db.tenant(ctx.tenant, (sql) =>
        sql.query<{ operation: string; request_hash: string; response: Record<string, unknown> }>(
          'SELECT operation, request_hash, response FROM idempotency_keys WHERE key = $1',
          [idempotencyKey],
        ),
      );
      const found = prior[0];
      if (found) {
        if (found.operation !== tool.name || found.request_hash !== requestHash) {
          return {
            ok: false,
            code: 'conflict',
            message: `idempotency key ${idempotencyKey} was used for a different call; use a new key`,
          };
        }
        return {
          ok: true,
          structured: found.response,
          text: `${tool.summarize?.(found.response) ?? `${tool.name} done`} (repeated call: first result returned)`,
        };
      }
    }
    const output = await tool.handler(input, toolCtx);
    const structured = tool.output.parse(output);
    if (idempotencyKey !== undefined && !dryRun) {
      try {
        await ctx.db.tenant(ctx.tenant, (sql) =>
          sql.query(
            'INSERT INTO idempotency_keys (org_id, key, operation, request_hash, response) VALUES ($1, $2, $3, $4, $5)',
            [ctx.tenant.orgId, idempotencyKey, tool.name, requestHash, JSON.stringify(structured)],
          ),
        );
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    const summary = tool.summarize?.(structured) ?? `${tool.name} done`;
    return {
      ok: true,
      structured: dryRun ? { ...structured, dryRun: true } : structured,
      text: dryRun ? `dry run (nothing written): ${summary}` : summary,
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
