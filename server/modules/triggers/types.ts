import type { RouteRecord, TriggerRecord } from '../../db/repositories/triggers.repo.ts';
import type { WebhookConfig } from '../../domain/trigger.ts';

// The types and names the trigger module's files share, at the bottom of its import graph so
// the service, the router, the hook endpoint and the app-event verifier never import in a circle.

/** Channel on which trigger changes drop the webhook endpoint's cache in every process. */
export const TRIGGERS_CHANNEL = 'weft_triggers';

/** A trigger with its routes, as the hot paths need it (cached per process). */
export interface LoadedTrigger {
  record: TriggerRecord;
  routes: RouteRecord[];
  /** A webhook trigger's settings, parsed once when loaded (null for other types). */
  webhook: WebhookConfig | null;
}

/** A provider's own signature on an app event (per the connector's event definition). */
export type AppEventVerifier = (args: {
  trigger: LoadedTrigger;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}) => Promise<{ ok: true } | { ok: false; reason: string }>;
