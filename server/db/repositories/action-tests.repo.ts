import type { Sql } from '../database.ts';
import type {
  ErrorClass,
  RecordedRequest,
  RecordedResponse,
  StoredActionTest,
} from '../../domain/action-test.ts';

/** Action tests and the source specs of connectors (tables of 0012_action_tests.sql). */

interface ActionTestRow {
  readonly id: string;
  readonly connector_id: string;
  readonly action_slug: string;
  readonly connector_version: string;
  readonly target: 'mock' | 'connection';
  readonly connection_id: string | null;
  readonly passed: boolean;
  readonly status: number | null;
  readonly latency_ms: number;
  readonly output_conforms: boolean | null;
  readonly error_class: ErrorClass | null;
  readonly error: string | null;
  readonly input: Record<string, unknown>;
  readonly request: RecordedRequest | null;
  readonly response: RecordedResponse | null;
  readonly created_at: Date;
}

const COLUMNS = `id, connector_id, action_slug, connector_version, target, connection_id, passed,
  status, latency_ms, output_conforms, error_class, error, input, request, response, created_at`;

function toTest(row: ActionTestRow): StoredActionTest {
  return {
    id: row.id,
    connectorId: row.connector_id,
    action: row.action_slug,
    connectorVersion: row.connector_version,
    target: row.target,
    connectionId: row.connection_id,
    passed: row.passed,
    status: row.status,
    latencyMs: row.latency_ms,
    outputConforms: row.output_conforms,
    errorClass: row.error_class,
    error: row.error,
    input: row.input,
    request: row.request,
    response: row.response,
    createdAt: row.created_at.toISOString(),
  };
}

export type NewActionTest = Omit<StoredActionTest, 'id' | 'createdAt'>;

export async function insert(
  db: Sql,
  { orgId, test }: { orgId: string; test: NewActionTest },
): Promise<StoredActionTest> {
  const rows = await db.query<ActionTestRow>(
    `INSERT INTO action_tests (org_id, connector_id, action_slug, connector_version, target,
       connection_id, passed, status, latency_ms, output_conforms, error_class, error, input,
       request, response)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     RETURNING ${COLUMNS}`,
    [
      orgId,
      test.connectorId,
      test.action,
      test.connectorVersion,
      test.target,
      test.connectionId,
      test.passed,
      test.status,
      test.latencyMs,
      test.outputConforms,
      test.errorClass,
      test.error,
      JSON.stringify(test.input),
      test.request === null ? null : JSON.stringify(test.request),
      test.response === null ? null : JSON.stringify(test.response),
    ],
  );
  return toTest(rows[0] as ActionTestRow);
}

/** The latest test of each of the given actions against one target, for drift. */
export async function latestByAction(
  db: Sql,
  {
    connectorId,
    target,
    actions,
  }: { connectorId: string; target: 'mock' | 'connection'; actions: readonly string[] },
): Promise<Map<string, StoredActionTest>> {
  const rows = await db.query<ActionTestRow>(
    `SELECT DISTINCT ON (action_slug) ${COLUMNS} FROM action_tests
     WHERE connector_id = $1 AND target = $2 AND action_slug = ANY($3::text[])
     ORDER BY action_slug, created_at DESC`,
    [connectorId, target, actions],
  );
  return new Map(rows.map((r) => [r.action_slug, toTest(r)]));
}

export async function list(
  db: Sql,
  {
    connectorId,
    action,
    limit,
  }: { connectorId: string; action: string | undefined; limit: number },
): Promise<StoredActionTest[]> {
  const rows = await db.query<ActionTestRow>(
    `SELECT ${COLUMNS} FROM action_tests
     WHERE connector_id = $1 AND ($2::text IS NULL OR action_slug = $2)
     ORDER BY created_at DESC LIMIT $3`,
    [connectorId, action ?? null, limit],
  );
  return rows.map(toTest);
}

export interface ConnectorSpec {
  sourceKind: 'text' | 'url';
  sourceUrl: string | null;
  content: string | null;
  importedAt: string;
}

export async function saveSpec(
  db: Sql,
  {
    orgId,
    connectorId,
    sourceKind,
    sourceUrl,
    content,
    sha256,
  }: {
    orgId: string;
    connectorId: string;
    sourceKind: 'text' | 'url';
    sourceUrl: string | null;
    content: string | null;
    sha256: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO connector_specs (org_id, connector_id, source_kind, source_url, content, sha256)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (org_id, connector_id) DO UPDATE SET source_kind = EXCLUDED.source_kind,
       source_url = EXCLUDED.source_url, content = EXCLUDED.content, sha256 = EXCLUDED.sha256,
       imported_at = now()
     WHERE connector_specs.sha256 IS DISTINCT FROM EXCLUDED.sha256
       OR connector_specs.source_url IS DISTINCT FROM EXCLUDED.source_url`,
    [orgId, connectorId, sourceKind, sourceUrl, content, sha256],
  );
}

export async function findSpec(
  db: Sql,
  { connectorId }: { connectorId: string },
): Promise<ConnectorSpec | null> {
  const rows = await db.query<{
    source_kind: 'text' | 'url';
    source_url: string | null;
    content: string | null;
    imported_at: Date;
  }>(
    'SELECT source_kind, source_url, content, imported_at FROM connector_specs WHERE connector_id = $1',
    [connectorId],
  );
  const row = rows[0];
  return row === undefined
    ? null
    : {
        sourceKind: row.source_kind,
        sourceUrl: row.source_url,
        content: row.content,
        importedAt: row.imported_at.toISOString(),
      };
}
