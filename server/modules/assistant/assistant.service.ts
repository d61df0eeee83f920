// Setup Assistant sessions: create one, send it a message (the turn runs in the background and
// every event of its answer is stored with the next seq as it happens), read a session with its
// history, and follow its events — the stored ones after a given seq, then new ones until the
// turn ends — so a client that lost its connection resumes without losing or repeating any.
// The assistant itself is injected (`AssistantDeps.turn`, composed in app/assistant.ts):
// server/ never imports agents/. Sessions belong to the user who created them.
//
// Credentials: the values of a form's secret fields go to the turn (which hands them to
// create_connection) and nowhere else — the stored copy of the message shows them masked, and
// any event or state that would carry one of those values has it replaced before it is written.
import type { Database } from '../../db/database.ts';
import * as sessionsRepo from '../../db/repositories/assistant-sessions.repo.ts';
import type {
  AssistantEvent,
  AssistantMessage,
  AssistantSession,
  AssistantSessionDetail,
} from '../../domain/assistant.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { secretLikeWords } from '../../text.ts';
import { recordAudit } from '../audit/audit.service.ts';

/** An event of an answer: `type` plus whatever the kind carries. */
export type WireEvent = { type: string } & Record<string, unknown>;

export interface AssistantDeps {
  /** The state of a new session. */
  initialState(): unknown;
  /** One turn: calls `emit` for each event as it happens; answers the state after it. */
  turn(args: {
    tenant: Tenant;
    state: unknown;
    input: AssistantMessage;
    emit: (event: WireEvent) => void;
  }): Promise<{ state: unknown; complete: boolean }>;
}

/** Wakes the followers of a session when its events grow (in process; others poll). */
export interface AssistantHub {
  wait(sessionId: string, ms: number, signal?: AbortSignal): Promise<void>;
  notify(sessionId: string): void;
}

export function createAssistantHub(): AssistantHub {
  const waiting = new Map<string, Set<() => void>>();
  return {
    wait(sessionId, ms, signal) {
      return new Promise((resolve) => {
        const set = waiting.get(sessionId) ?? new Set();
        waiting.set(sessionId, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          signal?.removeEventListener('abort', done);
          if (set.size === 0) waiting.delete(sessionId);
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done);
        set.add(done);
      });
    },
    notify(sessionId) {
      for (const wake of [...(waiting.get(sessionId) ?? [])]) wake();
    },
  };
}

/** A turn left running by a process that died is taken over after this. */
const STALE_TURN_SECONDS = 600;
const MASK = '****';

function ownerOf(tenant: Tenant): string {
  return tenant.actor.userId ?? tenant.actor.id ?? tenant.actor.label ?? 'unknown';
}

function notFound(id: string): AppError {
  return new AppError(
    'not_found',
    `no assistant session ${id}; list sessions to see yours, or create one`,
  );
}

function publicSession(s: sessionsRepo.StoredSession): AssistantSession {
  return {
    id: s.id,
    status: s.status,
    step: s.step,
    lastSeq: s.lastSeq,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** Replaces every occurrence of the given secret values, at any depth. */
function redact<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return secrets.reduce((s, secret) => s.split(secret).join(MASK), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

export async function createSession({
  db,
  tenant,
  assistant,
}: {
  db: Database;
  tenant: Tenant;
  assistant: Pick<AssistantDeps, 'initialState'>;
}): Promise<{ sessionId: string }> {
  requirePermission(tenant, 'agents:execute');
  const session = await db.tenant(tenant, async (sql) => {
    const created = await sessionsRepo.insert(sql, {
      orgId: tenant.orgId,
      createdBy: ownerOf(tenant),
      state: assistant.initialState(),
    });
    await recordAudit(sql, {
      tenant,
      action: 'assistant_session.create',
      resourceType: 'assistant_session',
      resourceId: created.id,
    });
    return created;
  });
  return { sessionId: session.id };
}

export async function listSessions({
  db,
  tenant,
  limit,
}: {
  db: Database;
  tenant: Tenant;
  limit: number;
}): Promise<{ data: AssistantSession[] }> {
  requirePermission(tenant, 'agents:read');
  const rows = await db.tenant(tenant, (sql) =>
    sessionsRepo.list(sql, { createdBy: ownerOf(tenant), limit }),
  );
  return { data: rows.map(publicSession) };
}

export async function getSession({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<AssistantSessionDetail> {
  requirePermission(tenant, 'agents:read');
  const found = await db.tenant(tenant, async (sql) => {
    const session = await sessionsRepo.findById(sql, { id, createdBy: ownerOf(tenant) });
    if (!session) return null;
    const events = await sessionsRepo.listEvents(sql, { sessionId: id, after: 0, limit: 10_000 });
    return { session, events };
  });
  if (!found) throw notFound(id);
  return { ...publicSession(found.session), state: found.session.state, events: found.events };
}

/** The names of the secret fields of the form a message answers (all fields if unknown). */
function secretFieldsOf(events: readonly AssistantEvent[], formId: string): Set<string> | null {
  for (const { event } of [...events].reverse()) {
    if (event.type !== 'form' || event['id'] !== formId) continue;
    const fields = (event['fields'] ?? []) as { name: string; secret?: boolean }[];
    return new Set(fields.filter((f) => f.secret === true).map((f) => f.name));
  }
  return null;
}

/**
 * Starts a turn: stores the message (secrets masked) and runs the assistant in the background.
 * Answers the seq before the message (follow the events after it) and the turn's promise.
 */
export async function sendMessage({
  db,
  tenant,
  assistant,
  hub,
  id,
  message,
}: {
  db: Database;
  tenant: Tenant;
  assistant: AssistantDeps;
  hub: AssistantHub;
  id: string;
  message: AssistantMessage;
}): Promise<{ afterSeq: number; turn: Promise<void> }> {
  requirePermission(tenant, 'agents:execute');
  const owner = ownerOf(tenant);
  const claimed = await db.tenant(tenant, async (sql) => {
    const session = await sessionsRepo.claim(sql, {
      id,
      createdBy: owner,
      staleSeconds: STALE_TURN_SECONDS,
    });
    if (!session)
      return { session: null, exists: await sessionsRepo.findById(sql, { id, createdBy: owner }) };
    const history =
      message.form === undefined
        ? []
        : await sessionsRepo.listEvents(sql, { sessionId: id, after: 0, limit: 10_000 });
    return { session, exists: session, history };
  });
  if (!claimed.exists) throw notFound(id);
  if (!claimed.session)
    throw new AppError('conflict', `session ${id} is answering a message; follow its events`);
  const session = claimed.session;

  const secrets: string[] = [];
  let shown: AssistantMessage = message;
  if (message.form !== undefined && message.values !== undefined) {
    const secretFields = secretFieldsOf(claimed.history ?? [], message.form);
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.values)) {
      const secret = secretFields === null || secretFields.has(name);
      if (secret && value.length >= 4) secrets.push(value);
      values[name] = secret ? MASK : value;
    }
    shown = { ...message, values };
  }
  // A key pasted into the chat instead of a form: kept nowhere, like a form's secret field.
  if (message.text !== undefined) {
    const pasted = secretLikeWords(message.text);
    if (pasted.length > 0) {
      secrets.push(...pasted);
      shown = {
        ...shown,
        text: redact(
          message.text,
          [...pasted].sort((a, b) => b.length - a.length),
        ),
      };
    }
  }
  // Longest first, so a secret containing another is replaced whole.
  secrets.sort((a, b) => b.length - a.length);

  // Events are written one after another, in the order they were emitted.
  let writes: Promise<void> = Promise.resolve();
  const append = (event: WireEvent) => {
    writes = writes.then(async () => {
      await db.tenant(tenant, (sql) =>
        sessionsRepo.appendEvent(sql, {
          orgId: tenant.orgId,
          sessionId: id,
          event: redact(event, secrets),
        }),
      );
      hub.notify(id);
    });
  };
  append({ type: 'user', ...shown });
  await writes;

  const turn = (async () => {
    let state = session.state;
    let complete = false;
    try {
      const out = await assistant.turn({ tenant, state, input: message, emit: append });
      state = redact(out.state, secrets);
      complete = out.complete;
    } catch (error) {
      append({
        type: 'turn_error',
        message: redact(error instanceof Error ? error.message : String(error), secrets),
      });
    }
    const step = state !== null && typeof state === 'object' && 'step' in state ? state.step : null;
    await writes.catch(() => undefined);
    // `done` and the session's new state in one transaction: a client that sends its next
    // message as soon as it reads `done` finds the session idle, never still answering.
    await db.tenant(tenant, async (sql) => {
      await sessionsRepo.appendEvent(sql, {
        orgId: tenant.orgId,
        sessionId: id,
        event: { type: 'done', step, complete },
      });
      await sessionsRepo.finishTurn(sql, { id, state, status: complete ? 'complete' : 'idle' });
    });
    hub.notify(id);
  })();
  return { afterSeq: session.lastSeq, turn };
}

/**
 * The events of a session after `after`, then new ones while a turn runs: ends when no turn is
 * running and nothing is left to replay (or, with `untilDone`, at the next `done`).
 */
export async function* followEvents({
  db,
  tenant,
  hub,
  id,
  after,
  untilDone = false,
  signal,
}: {
  db: Database;
  tenant: Tenant;
  hub: AssistantHub;
  id: string;
  after: number;
  /** End at the next `done` (the answer to one message) rather than when the session is idle. */
  untilDone?: boolean;
  signal?: AbortSignal;
}): AsyncGenerator<AssistantEvent> {
  requirePermission(tenant, 'agents:read');
  const owner = ownerOf(tenant);
  let cursor = after;
  while (signal?.aborted !== true) {
    const read = await db.tenant(tenant, async (sql) => {
      const session = await sessionsRepo.findById(sql, { id, createdBy: owner });
      if (!session) return null;
      const events = await sessionsRepo.listEvents(sql, {
        sessionId: id,
        after: cursor,
        limit: 500,
      });
      return { session, events };
    });
    if (!read) throw notFound(id);
    for (const event of read.events) {
      cursor = event.seq;
      yield event;
      if (untilDone && event.event.type === 'done') return;
    }
    if (!untilDone && read.session.status !== 'running' && read.events.length < 500) return;
    if (read.events.length < 500) await hub.wait(id, 250, signal);
  }
}

/** The caller's session's status and last seq (before a stream opens); not_found otherwise. */
export async function sessionPosition({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<{ status: AssistantSession['status']; lastSeq: number }> {
  requirePermission(tenant, 'agents:read');
  const found = await db.tenant(tenant, (sql) =>
    sessionsRepo.findById(sql, { id, createdBy: ownerOf(tenant) }),
  );
  if (!found) throw notFound(id);
  return { status: found.status, lastSeq: found.lastSeq };
}
