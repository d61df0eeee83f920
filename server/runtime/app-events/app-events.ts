/**
 * App Event triggers, connector side: how Weft learns about events in a customer's app through
 * that customer's connection, for any connector. Three ways, chosen by the connector's event
 * declaration (`subscription`):
 *
 * - `webhook` with a `subscribeAction`: `subscribe` runs that action through the connection to
 *   register a hook URL at the provider, and `unsubscribe` runs `unsubscribeAction` to remove it.
 *   Inbound deliveries are checked with `verifyEventSignature` against the secret `eventSecret`
 *   reads from the connection (`signature.secretField`).
 * - `poll`: `pollOnce` runs the poll action and returns the records that are new or changed since
 *   the previous poll, with the state to keep for the next one. The caller schedules it every
 *   `intervalSeconds`.
 * - `manual` (or `webhook` without a subscribe action, or no declaration): the customer registers
 *   the hook URL at the provider by hand; `subscribe` answers `{ mode: 'manual' }`.
 *
 * Conventions (see conventions.ts), since connectors describe arbitrary APIs:
 * - Subscribe input: the hook URL goes into the parameter named like a URL (`url`, `callbackUrl`,
 *   `target_url`, `webhook_url`, … or a `format: uri` field), the event name into one named like
 *   an event (`event`, `events`, `topic`, `types`, …; an array when its schema is one). A
 *   whole-body parameter gets `{ url, event }` (or its schema's equivalents). No URL parameter is
 *   a `bad_request` naming the action.
 * - Subscription id: the answer's `id`, else its first string field named like an id
 *   (`webhook_id`, `subscriptionId`), also looked for under `data`/`webhook`/`subscription`.
 *   Fields named like secrets or tokens are dropped from `details`, which the caller stores as
 *   plain JSON: a signing secret a provider issues per subscription is not kept (the signing
 *   secret comes from the connection, `signature.secretField`).
 * - Unsubscribe input: the id as the path parameter named like an id (or the only one), else a
 *   body/query parameter named like an id, else `{ id }` as the whole body. A 404 or 410 from the
 *   provider counts as already removed.
 * - Polling: every page is read (`allPages`, at most MAX_POLL_ITEMS records). A record's identity
 *   is its `id` (`_id`, `uuid`), else a hash of its content; the state keeps identity → content
 *   hash for at most MAX_TRACKED records, least recently seen forgotten first. The FIRST poll
 *   emits nothing: it records a baseline, so enabling a trigger does not replay a customer's
 *   whole history. When the action takes a since-parameter (`since`, `updated_since`,
 *   `modified_after`, …; never one its pagination uses) the next poll passes the latest change
 *   time seen in the records (`updated_at`, `updatedAt`, `modified_at`, …); when it takes a sync
 *   token (`cursor`, `sync_token`, … on an action without pagination) the next poll passes the
 *   `next_<param>` / `<param>` the answer handed out. Either way the content hashes still decide
 *   what is emitted, so an inclusive `since` does not repeat records.
 *
 * Every function takes an explicit Tenant: a connection is found only within the tenant's org
 * (and customer, for a customer-scoped tenant), so another org's connection is `not_found`.
 * These functions check no permission of their own beyond what the connection and connector
 * services require (`connections:execute`, `connections:read`, `connectors:read`); the trigger service that calls them
 * checks its own.
 */
import { z } from 'zod';
import type { Connection } from '../../domain/connection.ts';
import type { Action, ConnectorEvent } from '../../domain/connector.ts';
import type { Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { runAction } from '../../modules/connections/actions.service.ts';
import {
  getConnection,
  readCredentialField,
} from '../../modules/connections/connections.service.ts';
import type { ConnectionRuntime } from '../../modules/connections/runtime.ts';
import { getAction, listEvents } from '../../modules/connectors/connectors.service.ts';
import {
  cursorParamOf,
  isObject,
  itemsOf,
  nextTokenOf,
  subscribeInput,
  subscriptionIdOf,
  unsubscribeInput,
  withoutSecrets,
} from './conventions.ts';
import { diffRecords, MAX_POLL_ITEMS, PollStateSchema, type PollState } from './poll-state.ts';
import type { EventSignature } from './signature.ts';

export { verifyEventSignature, type EventSignature, type Verification } from './signature.ts';
export { MAX_POLL_ITEMS, MAX_TRACKED, PollStateSchema, type PollState } from './poll-state.ts';

export type Subscription =
  | {
      mode: 'webhook';
      subscriptionId?: string;
      details: Record<string, unknown>;
    }
  | { mode: 'poll'; intervalSeconds: number; action: string }
  | { mode: 'manual' };

/** A subscription as the caller stored it (jsonb): only what unsubscribing needs is read. */
const StoredSubscriptionSchema = z.looseObject({
  mode: z.string(),
  subscriptionId: z.string().min(1).optional(),
});

interface Context {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
  event: string;
}

function describeConnection(c: Connection): string {
  return `connection '${c.name}' (${c.id}, ${c.connector})`;
}

/** The connection (within the tenant) and its connector's event, or a clear not_found. */
async function load({
  runtime,
  tenant,
  connectionId,
  event,
}: Context): Promise<{ connection: Connection; event: ConnectorEvent }> {
  const connection = await getConnection({ runtime, tenant, id: connectionId });
  const events = await listEvents({ db: runtime.db, tenant, ref: connection.connectorId });
  const found = events.find((e) => e.name === event);
  if (found === undefined) {
    const names = events.map((e) => e.name);
    throw new AppError(
      'not_found',
      `connector '${connection.connector}' has no event '${event}'; ${names.length > 0 ? `it has: ${names.join(', ')}` : 'it declares no events'}`,
      { connector: connection.connector, event },
    );
  }
  return { connection, event: found };
}

function requireActive(connection: Connection): void {
  if (connection.status === 'active') return;
  const what = describeConnection(connection);
  const reason = connection.statusReason === null ? '' : ` (${connection.statusReason})`;
  switch (connection.status) {
    case 'expired':
      throw new AppError(
        'connection_expired',
        `${what} has expired${reason}; the customer must reconnect before its events can be used`,
        { connectionId: connection.id, reconnectUrl: connection.reconnectUrl },
      );
    case 'pending':
      throw new AppError(
        'conflict',
        `${what} is not authorized yet; finish its authorization first`,
        { connectionId: connection.id, status: connection.status },
      );
    case 'error':
      throw new AppError(
        'conflict',
        `${what} is in error${reason}; update its credentials or reconnect, then test it`,
        { connectionId: connection.id, status: connection.status },
      );
    case 'revoked':
      throw new AppError('conflict', `${what} was revoked; create a new connection`, {
        connectionId: connection.id,
        status: connection.status,
      });
  }
}

/** A short reason from a provider's error answer, for the AppError message. */
function providerReason(body: unknown): string {
  const candidates = isObject(body)
    ? [
        body['message'],
        body['error'],
        body['detail'],
        isObject(body['error']) ? body['error']['message'] : undefined,
      ]
    : [body];
  const text = candidates.find((c): c is string => typeof c === 'string' && c.trim() !== '');
  return text === undefined ? '' : `: ${text.trim().slice(0, 200)}`;
}

function refused({
  what,
  status,
  body,
}: {
  what: string;
  status: number;
  body: unknown;
}): AppError {
  return new AppError(
    'upstream_error',
    `the provider refused to ${what} (HTTP ${status}${providerReason(body)})`,
    {
      status,
    },
  );
}

async function actionOf({
  runtime,
  tenant,
  connection,
  slug,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connection: Connection;
  slug: string;
}): Promise<Action> {
  return getAction({ db: runtime.db, tenant, ref: connection.connectorId, action: slug });
}

/**
 * Starts delivery of one event of a connection to `hookUrl`: registers a webhook at the
 * provider, or says how the event arrives otherwise (poll, or registered by hand).
 */
export async function subscribe({
  runtime,
  tenant,
  connectionId,
  event: eventName,
  hookUrl,
}: Context & { hookUrl: string }): Promise<Subscription> {
  const { connection, event } = await load({ runtime, tenant, connectionId, event: eventName });
  const declared = event.subscription;
  if (declared === undefined || declared.mode === 'manual') return { mode: 'manual' };
  if (declared.mode === 'poll') {
    requireActive(connection);
    return { mode: 'poll', intervalSeconds: declared.intervalSeconds, action: declared.action };
  }
  if (declared.subscribeAction === undefined) return { mode: 'manual' };
  requireActive(connection);
  const action = await actionOf({ runtime, tenant, connection, slug: declared.subscribeAction });
  const result = await runAction({
    runtime,
    tenant,
    connectionId,
    action: action.slug,
    input: subscribeInput({ action, hookUrl, event: event.name }),
    allPages: false,
    maxItems: 1,
  });
  if (!result.ok)
    throw refused({
      what: `register a webhook for '${event.name}' (action ${action.slug})`,
      status: result.status,
      body: result.body,
    });
  const subscriptionId = subscriptionIdOf(result.body);
  const kept = withoutSecrets(result.body);
  return {
    mode: 'webhook',
    ...(subscriptionId !== undefined && { subscriptionId }),
    details: isObject(kept) ? kept : { response: kept ?? null },
  };
}

/**
 * Stops delivery started by `subscribe`. Only a webhook subscription with an id and an
 * `unsubscribeAction` needs the provider; anything else is done at once (`removed: false`).
 */
export async function unsubscribe({
  runtime,
  tenant,
  connectionId,
  event: eventName,
  subscription,
}: Context & {
  /** What `subscribe` returned, as stored (extra fields are ignored). */
  subscription: Readonly<Record<string, unknown>>;
}): Promise<{ removed: boolean }> {
  const { connection, event } = await load({ runtime, tenant, connectionId, event: eventName });
  const stored = StoredSubscriptionSchema.safeParse(subscription);
  if (!stored.success || stored.data.mode !== 'webhook') return { removed: false };
  const subscriptionId = stored.data.subscriptionId;
  if (subscriptionId === undefined) return { removed: false };
  const declared = event.subscription;
  if (declared?.mode !== 'webhook' || declared.unsubscribeAction === undefined)
    return { removed: false };
  requireActive(connection);
  const action = await actionOf({ runtime, tenant, connection, slug: declared.unsubscribeAction });
  const result = await runAction({
    runtime,
    tenant,
    connectionId,
    action: action.slug,
    input: unsubscribeInput({ action, id: subscriptionId }),
    allPages: false,
    maxItems: 1,
  });
  if (result.status === 404 || result.status === 410) return { removed: false };
  if (!result.ok)
    throw refused({
      what: `remove webhook ${subscriptionId} (action ${action.slug})`,
      status: result.status,
      body: result.body,
    });
  return { removed: true };
}

/**
 * The signing secret of a connection's events: the credential named by `signature.secretField`,
 * in plaintext. Null when the event declares none or the connection lacks that field. Use it only
 * to call `verifyEventSignature`; never log, return or store it.
 */
export async function eventSecret({
  runtime,
  tenant,
  connectionId,
  signature,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
  signature: EventSignature | undefined;
}): Promise<string | null> {
  if (signature === undefined || signature.scheme === 'none') return null;
  if (signature.secretField === undefined) return null;
  return readCredentialField({ runtime, tenant, connectionId, field: signature.secretField });
}

/** A stored state that does not parse starts a new baseline rather than failing every poll. */
function parseState(state: unknown): PollState | null {
  if (state === null || state === undefined) return null;
  const parsed = PollStateSchema.safeParse(state);
  return parsed.success ? parsed.data : null;
}

function cursorInput({
  action,
  state,
}: {
  action: Action;
  state: PollState | null;
}): Record<string, unknown> {
  const param = cursorParamOf(action);
  const cursor = state?.cursor;
  if (param === null || cursor === null || cursor === undefined) return {};
  if (cursor.param !== param.name || cursor.kind !== param.kind) return {};
  const type = action.parameters.find((p) => p.name === param.name)?.schema?.['type'];
  const value =
    (type === 'integer' || type === 'number') && typeof cursor.value === 'string'
      ? Number(cursor.value)
      : type === 'string' && typeof cursor.value === 'number'
        ? String(cursor.value)
        : cursor.value;
  return { [param.name]: value };
}

/**
 * Polls one event once. Returns the records that are new or changed since `state` (none on the
 * first poll, which records the baseline) and the state to pass next time. On failure the
 * previous state stays valid: call again with it.
 */
export async function pollOnce({
  runtime,
  tenant,
  connectionId,
  event: eventName,
  state,
}: Context & { state: unknown }): Promise<{ records: unknown[]; state: PollState }> {
  const { connection, event } = await load({ runtime, tenant, connectionId, event: eventName });
  const declared = event.subscription;
  if (declared?.mode !== 'poll') {
    throw new AppError(
      'bad_request',
      `event '${event.name}' of connector '${connection.connector}' is not polled (its subscription is ${declared?.mode ?? 'not declared'}); subscribe to it instead`,
      { event: event.name },
    );
  }
  requireActive(connection);
  const action = await actionOf({ runtime, tenant, connection, slug: declared.action });
  const previous = parseState(state);
  const input = cursorInput({ action, state: previous });
  const result = await runAction({
    runtime,
    tenant,
    connectionId,
    action: action.slug,
    input,
    allPages: true,
    maxItems: MAX_POLL_ITEMS,
  });
  if (!result.ok)
    throw refused({
      what: `list '${event.name}' records (action ${action.slug})`,
      status: result.status,
      body: result.body,
    });
  const records = itemsOf({ items: result.items, body: result.body });
  if (records === null) {
    throw new AppError(
      'upstream_error',
      `action ${action.slug} answered no list of records; give it a pagination itemsPath or make it return an array`,
      { action: action.slug },
    );
  }
  const cursorParam = cursorParamOf(action);
  return diffRecords({
    previous,
    records,
    cursorParam,
    nextToken:
      cursorParam?.kind === 'token' ? nextTokenOf({ body: result.body, param: cursorParam }) : null,
    complete: Object.keys(input).length === 0 && records.length < MAX_POLL_ITEMS,
  });
}
