import type {
  FastifyInstance,
  FastifyBaseLogger,
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/envelope.ts';
import type { Database } from '../db/database.ts';
import type { Tenant } from '../domain/tenant.ts';
import type { ConnectionRuntime } from '../modules/connections/runtime.ts';
import type { WorkflowEngine } from '../modules/workflows/engine.ts';

export interface AppDeps {
  readonly config: Config;
  readonly db: Database;
  readonly keyring: Keyring;
  /** Connection machinery; built from the rest when omitted. */
  readonly runtime?: ConnectionRuntime;
  /** Workflow machinery (sandbox, queue, runner); started on first use when omitted. */
  readonly workflows?: WorkflowEngine;
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

declare module 'fastify' {
  interface FastifyRequest {
    tenant: Tenant | null;
  }
}

/** The authenticated tenant of a route behind the API key hook. */
export function tenantOf(request: { tenant: Tenant | null }): Tenant {
  if (request.tenant === null) throw new Error('route registered outside the authenticated scope');
  return request.tenant;
}
