// Setup Assistant sessions and their numbered events. A session is claimed for a turn with a
// conditional update (idle → running; a running session left by a dead process is taken again
// after a while), its events are appended with the next seq, and the state is written back when
// the turn ends. Event and state JSON went through models and API answers: stored-text keeps
// every character.
import type { Sql } from '../database.ts';
import { fromStoredJson, toStoredJson } from '../stored-text.ts';
import type {
  AssistantEvent,
  AssistantSession,
  AssistantSessionStatus,
} from '../../domain/assistant.ts';

interface SessionRow {
  id: string;
  created_by: string;
  state: unknown;
  status: AssistantSessionStatus;
  last_seq: string | number;
  created_at: Date;
  updated_at: Date;
}

export interface StoredSession extends AssistantSession {
  createdBy: string;
  state: unknown;
}

const COLUMNS = 'id, created_by, state, status, last_seq, created_at, updated_at';

function toSession(r: SessionRow): StoredSession {
  const state = fromStoredJson(r.state);
  const step =
    state !== null && typeof state === 'object' && 'step' in state ? String(state.step) : null;
  return {
    id: r.id,
    createdBy: r.created_by,
    state,
    status: r.status,
    step,
    lastSeq: Number(r.last_seq),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function insert(
  sql: Sql,
  { orgId, createdBy, state }: { orgId: string; createdBy: string; state: unknown },
): Promise<StoredSession> {
  const rows = await sql.query<SessionRow>(
    `INSERT INTO assistant_sessions (org_id, created_by, state) VALUES ($1, $2, $3::jsonb)
     RETURNING ${COLUMNS}`,
    [orgId, createdBy, toStoredJson(state) ?? '{}'],
  );
  return toSession(rows[0]!);
}

export async function findById(
  sql: Sql,
  { id, createdBy }: { id: string; createdBy: string },
): Promise<StoredSession | null> {
  const rows = await sql.query<SessionRow>(
    `SELECT ${COLUMNS} FROM assistant_sessions WHERE id = $1 AND created_by = $2`,
    [id, createdBy],
  );
  return rows[0] ? toSession(rows[0]) : null;
}

export async function list(
  sql: Sql,
  { createdBy, limit }: { createdBy: string; limit: number },
): Promise<StoredSession[]> {
  const rows = await sql.query<SessionRow>(
    `SELECT ${COLUMNS} FROM assistant_sessions WHERE created_by = $1
      ORDER BY updated_at DESC, id DESC LIMIT $2`,
    [createdBy, limit],
  );
  return rows.map(toSession);
}

/** Takes the session for a turn; null when another turn holds it (and is not stale). */
export async function claim(
  sql: Sql,
  { id, createdBy, staleSeconds }: { id: string; createdBy: string; staleSeconds: number },
): Promise<StoredSession | null> {
  const rows = await sql.query<SessionRow>(
    `UPDATE assistant_sessions SET status = 'running', updated_at = clock_timestamp()
      WHERE id = $1 AND created_by = $2
        AND (status <> 'running' OR updated_at < clock_timestamp() - make_interval(secs => $3))
      RETURNING ${COLUMNS}`,
    [id, createdBy, staleSeconds],
  );
  return rows[0] ? toSession(rows[0]) : null;
}

/** Appends one event with the next seq of the session; answers that seq. */
export async function appendEvent(
  sql: Sql,
  { orgId, sessionId, event }: { orgId: string; sessionId: string; event: unknown },
): Promise<AssistantEvent> {
  const bumped = await sql.query<{ last_seq: string | number }>(
    `UPDATE assistant_sessions SET last_seq = last_seq + 1, updated_at = clock_timestamp()
      WHERE id = $1 RETURNING last_seq`,
    [sessionId],
  );
  const seq = Number(bumped[0]!.last_seq);
  const rows = await sql.query<{ created_at: Date }>(
    `INSERT INTO assistant_events (org_id, session_id, seq, event) VALUES ($1, $2, $3, $4::jsonb)
     RETURNING created_at`,
    [orgId, sessionId, seq, toStoredJson(event) ?? '{}'],
  );
  return {
    seq,
    event: event as AssistantEvent['event'],
    createdAt: rows[0]!.created_at.toISOString(),
  };
}

export async function finishTurn(
  sql: Sql,
  { id, state, status }: { id: string; state: unknown; status: AssistantSessionStatus },
): Promise<void> {
  await sql.query(
    `UPDATE assistant_sessions SET state = $2::jsonb, status = $3, updated_at = clock_timestamp()
      WHERE id = $1`,
    [id, toStoredJson(state) ?? '{}', status],
  );
}

export async function listEvents(
  sql: Sql,
  { sessionId, after, limit }: { sessionId: string; after: number; limit: number },
): Promise<AssistantEvent[]> {
  const rows = await sql.query<{ seq: string | number; event: unknown; created_at: Date }>(
    `SELECT seq, event, created_at FROM assistant_events
      WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [sessionId, after, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    event: fromStoredJson(r.event) as AssistantEvent['event'],
    createdAt: r.created_at.toISOString(),
  }));
}
