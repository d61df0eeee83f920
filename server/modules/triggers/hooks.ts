import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Keyring } from '../../crypto/envelope.ts';
import { isUuid } from '../../db/database.ts';
import { assertJsonDepth } from '../../http/input.ts';
import { ErrorBodySchema } from '../../domain/common.ts';
import { EVENT_VERDICTS, type WebhookAuth } from '../../domain/trigger.ts';
import { AppError } from '../../errors.ts';
import type { App } from '../../http/types.ts';
import { runHeaders } from '../../runtime/runner.ts';
import { newEvent, type EventRouter } from '../../runtime/event-router.ts';
import type { AppEventVerifier, LoadedTrigger } from './types.ts';

import { openTriggerSecret } from './triggers.service.ts';

function sameSecret(a: string, b: string): boolean {
  // Digests first: equal lengths for timingSafeEqual, and no early exit on length.
  return timingSafeEqual(
    createHash('sha256').update(a).digest(),
    createHash('sha256').update(b).digest(),
  );
}

function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Verifies a Standard Webhooks request: `webhook-id`, `webhook-timestamp` within the tolerance,
 * and a `webhook-signature` list holding `v1,<base64 HMAC-SHA256 of id.timestamp.body>`. A
 * `whsec_` secret is base64 after its prefix (as the convention says); any other is used as is.
 */
export function verifyStandardWebhook({
  secret,
  headers,
  rawBody,
  toleranceSeconds,
  now = Date.now(),
}: {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  toleranceSeconds: number;
  now?: number;
}): { ok: true; webhookId: string } | { ok: false; reason: string } {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    return {
      ok: false,
      reason: 'webhook-id, webhook-timestamp and webhook-signature are required',
    };
  }
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'webhook-timestamp is not a Unix time' };
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) {
    return { ok: false, reason: `webhook-timestamp is more than ${toleranceSeconds} s from now` };
  }
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice(6), 'base64')
    : Buffer.from(secret);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
  for (const part of signatures.split(' ')) {
    const [version, value] = part.split(',');
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return { ok: true, webhookId: id.slice(0, 200) };
    }
  }
  return { ok: false, reason: 'webhook-signature does not match' };
}

/** Checks the request against the trigger's authentication; the sender's webhook-id if any. */
function authenticate({
  auth,
  secret,
  headers,
  rawBody,
}: {
  auth: WebhookAuth;
  secret: string | null;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}): { ok: true; webhookId: string | null } | { ok: false; reason: string } {
  switch (auth.type) {
    case 'none':
      return { ok: true, webhookId: header(headers, 'webhook-id')?.slice(0, 200) ?? null };
    case 'api_key': {
      const given = header(headers, auth.header);
      if (!given || secret === null || !sameSecret(given, secret)) {
        return { ok: false, reason: `missing or wrong key in ${auth.header}` };
      }
      return { ok: true, webhookId: header(headers, 'webhook-id')?.slice(0, 200) ?? null };
    }
    case 'hmac':
      if (secret === null) return { ok: false, reason: 'the trigger has no secret' };
      return verifyStandardWebhook({
        secret,
        headers,
        rawBody,
        toleranceSeconds: auth.toleranceSeconds,
      });
  }
}

const HookParamsSchema = z.object({ id: z.string().max(100) }).strict();
const REJECTION_NOTE_INTERVAL_MS = 1_000;

const AcceptedSchema = z.object({
  eventId: z.uuid(),
  verdict: z.enum(EVENT_VERDICTS),
});

/**
 * `POST /hooks/:id`: the public endpoint of webhook and app-event triggers. The request is
 * authenticated before anything is written; the event is durable before the 2xx; it is routed
 * after the answer.
 */
export function hookRoutes(
  app: App,
  {
    router,
    keyring,
    verifyAppEvent,
  }: { router: EventRouter; keyring: Keyring; verifyAppEvent: AppEventVerifier },
): void {
  const secrets = new Map<string, string | null>();
  // A rejected request is noted in the events log (without its body, never routed), at most once
  // a second per trigger: enough to debug a sender's signature, too little to flood the log.
  const lastRejection = new Map<string, number>();
  const noteRejection = async ({
    trigger,
    headers,
    reason,
  }: {
    trigger: LoadedTrigger;
    headers: Record<string, string | string[] | undefined>;
    reason: string;
  }): Promise<void> => {
    const now = Date.now();
    if (now - (lastRejection.get(trigger.record.id) ?? 0) < REJECTION_NOTE_INTERVAL_MS) return;
    if (lastRejection.size > 10_000) lastRejection.clear();
    lastRejection.set(trigger.record.id, now);
    const event = newEvent({
      trigger: trigger.record,
      payload: null,
      headers: runHeaders(headers),
      verdict: 'rejected',
      error: reason,
    });
    await router.accept([{ trigger, event }]).catch(() => undefined);
  };
  app.post('/hooks/:id', {
    config: {
      permission: 'public',
      reason: 'senders authenticate as the trigger says, not by key',
    },
    schema: {
      tags: ['Triggers'],
      summary: 'Receive an event for a webhook or app-event trigger (no API key)',
      description:
        'Authenticated as the trigger says (an API key header, a Standard Webhooks signature, the provider signature of an app event, or none). Answers 202 once the event is stored; a duplicate by the dedup key is 202 with verdict duplicate; a replayed webhook-id is 409.',
      security: [],
      params: HookParamsSchema,
      response: {
        202: AcceptedSchema,
        400: ErrorBodySchema,
        401: ErrorBodySchema,
        404: ErrorBodySchema,
        409: ErrorBodySchema,
      },
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      const trigger = isUuid(id) ? await router.load(null, id) : null;
      if (!trigger || trigger.record.type === 'scheduler' || trigger.record.status !== 'active') {
        throw new AppError('not_found', 'no active webhook at this URL');
      }
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const headers = request.headers;
      let webhookId: string | null = null;
      if (trigger.webhook) {
        let secret = secrets.get(trigger.record.id);
        if (secret === undefined) {
          secret = openTriggerSecret({ keyring, record: trigger.record });
          if (secrets.size > 10_000) secrets.clear();
          secrets.set(trigger.record.id, secret);
        }
        const verdict = authenticate({ auth: trigger.webhook.auth, secret, headers, rawBody });
        if (!verdict.ok) {
          await noteRejection({ trigger, headers, reason: verdict.reason });
          throw new AppError('unauthorized', `webhook rejected: ${verdict.reason}`);
        }
        webhookId = verdict.webhookId;
      } else {
        const verdict = await verifyAppEvent({ trigger, headers, rawBody });
        if (!verdict.ok) {
          await noteRejection({ trigger, headers, reason: verdict.reason });
          throw new AppError('unauthorized', `event rejected: ${verdict.reason}`);
        }
      }
      let payload: unknown = null;
      if (rawBody.length > 0) {
        const type = header(headers, 'content-type') ?? '';
        if (/json/i.test(type)) {
          const text = rawBody.toString('utf8');
          // The body is read raw here (signatures are over its bytes): the same nesting limit.
          assertJsonDepth(text);
          try {
            payload = JSON.parse(text);
          } catch {
            throw new AppError('bad_request', 'the body is not valid JSON');
          }
        } else {
          payload = rawBody.toString('utf8');
        }
      }
      const event = newEvent({
        trigger: trigger.record,
        payload,
        headers: runHeaders(headers),
        webhookId,
      });
      const written = await router.accept([{ trigger, event }]);
      if (!written.has(event.id)) {
        throw new AppError(
          'conflict',
          'this webhook-id was already received; a replay is not processed again',
        );
      }
      router.dispatch(trigger, {
        ...event,
        matchedRoutes: [],
        executions: [],
        error: null,
        deadLetter: false,
        attempts: 0,
        routedAt: null,
      });
      return reply.code(202).send({ eventId: event.id, verdict: event.verdict });
    },
  });
}
