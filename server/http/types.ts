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

/** What every route module may use; `buildApp` adds the feature machinery on top. */
export interface AppDeps {
  readonly config: Config;
  readonly db: Database;
  readonly keyring: Keyring;
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
