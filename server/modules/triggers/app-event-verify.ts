import * as connectorsRepo from '../../db/repositories/connectors.repo.ts';
import { AppEventConfigSchema } from '../../domain/trigger.ts';
import { systemTenant, type Tenant } from '../../domain/tenant.ts';
import {
  eventSecret,
  verifyEventSignature,
  type EventSignature,
} from '../../runtime/app-events/app-events.ts';
import type { ConnectionRuntime } from '../connections/runtime.ts';
import type { AppEventVerifier, LoadedTrigger } from './types.ts';

const TTL_MS = 60_000;

/** The connector slug an app-event trigger stored with its subscription. */
export function connectorOf(subscription: Record<string, unknown>): string {
  const value = subscription['connector'];
  return typeof value === 'string' ? value : '';
}

/** The tenant an app-event trigger acts as: its org and its connection's customer. */
export function appEventTenant(trigger: LoadedTrigger['record']): Tenant {
  return systemTenant({
    orgId: trigger.orgId,
    customerId: trigger.customerId,
    actorId: trigger.id,
    label: 'app event trigger',
    permissions: ['connections:read', 'connections:execute', 'connectors:read'],
  });
}

/**
 * Verifies an app event with the provider's signature as the connector's event declares it, the
 * secret read from the connection. Definitions and secrets are kept a minute per trigger.
 */
export function createAppEventVerifier({
  runtime,
}: {
  runtime: ConnectionRuntime;
}): AppEventVerifier {
  const cache = new Map<
    string,
    { signature: EventSignature | undefined; secret: string | null; at: number }
  >();
  return async ({ trigger, headers, rawBody }) => {
    const record = trigger.record;
    let entry = cache.get(record.id);
    if (!entry || Date.now() - entry.at > TTL_MS) {
      const config = AppEventConfigSchema.parse(record.config);
      const connector = connectorOf(record.subscription);
      const tenant = appEventTenant(record);
      const event = await runtime.db.tenant(tenant, async (sql) => {
        const found = await connectorsRepo.find(sql, { ref: connector });
        return found
          ? connectorsRepo.findEvent(sql, { connectorId: found.id, ref: config.event })
          : null;
      });
      if (!event) return { ok: false, reason: 'the connector no longer has this event' };
      const secret =
        record.connectionId === null
          ? null
          : await eventSecret({
              runtime,
              tenant,
              connectionId: record.connectionId,
              signature: event.signature,
            });
      entry = { signature: event.signature, secret, at: Date.now() };
      if (cache.size > 10_000) cache.clear();
      cache.set(record.id, entry);
    }
    return verifyEventSignature({
      signature: entry.signature,
      secret: entry.secret,
      headers,
      rawBody,
    });
  };
}
