import type { Sql } from '../database.ts';
import type {
  Environment,
  RetryPolicy,
  Tier,
  Workflow,
  WorkflowVersion,
} from '../../domain/workflow.ts';

interface WorkflowRow {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly tier: Tier;
  readonly timeout_ms: number;
  readonly retry: RetryPolicy;
  readonly status: 'active' | 'inactive';
  readonly language: 'typescript' | 'javascript';
  readonly draft_source: string;
  readonly latest_version: number;
  readonly deployments: Record<string, { version: number; deployedAt: string }> | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

// The deployments of a workflow, folded into one JSON object per row.
const DEPLOYMENTS = `(SELECT jsonb_object_agg(d.environment, jsonb_build_object('version', v.version, 'deployedAt', d.deployed_at))
    FROM workflow_deployments d JOIN workflow_versions v ON v.org_id = d.org_id AND v.id = d.version_id
   WHERE d.org_id = w.org_id AND d.workflow_id = w.id) AS deployments`;
const COLUMNS = `w.id, w.slug, w.name, w.description, w.tier, w.timeout_ms, w.retry, w.status, w.language,
  w.draft_source, w.latest_version, w.created_at, w.updated_at, ${DEPLOYMENTS}`;

function toWorkflow(row: WorkflowRow): Workflow {
  const deployments: Workflow['deployments'] = {};
  for (const [env, d] of Object.entries(row.deployments ?? {})) {
    deployments[env] = { version: d.version, deployedAt: new Date(d.deployedAt).toISOString() };
  }
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    tier: row.tier,
    timeoutMs: row.timeout_ms,
    retry: row.retry,
    status: row.status,
    language: row.language,
    draftSource: row.draft_source,
    latestVersion: row.latest_version,
    deployments,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export interface NewWorkflow {
  orgId: string;
  slug: string;
  name: string;
  description: string;
  tier: Tier;
  timeoutMs: number;
  retry: RetryPolicy;
  status: 'active' | 'inactive';
  language: 'typescript' | 'javascript';
  source: string;
}

export async function insert(db: Sql, w: NewWorkflow): Promise<Workflow> {
  const rows = await db.query<{ id: string }>(
    `INSERT INTO workflows (org_id, slug, name, description, tier, timeout_ms, retry, status, language, draft_source)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [
      w.orgId,
      w.slug,
      w.name,
      w.description,
      w.tier,
      w.timeoutMs,
      JSON.stringify(w.retry),
      w.status,
      w.language,
      w.source,
    ],
  );
  return (await findById(db, { id: (rows[0] as { id: string }).id })) as Workflow;
}

/** By id, or by slug when `ref` is not a UUID. */
export async function find(
  db: Sql,
  { ref, byId }: { ref: string; byId: boolean },
): Promise<Workflow | null> {
  const rows = await db.query<WorkflowRow>(
    `SELECT ${COLUMNS} FROM workflows w WHERE ${byId ? 'w.id = $1::uuid' : 'w.slug = $1'}`,
    [ref],
  );
  return rows[0] ? toWorkflow(rows[0]) : null;
}

export function findById(db: Sql, { id }: { id: string }): Promise<Workflow | null> {
  return find(db, { ref: id, byId: true });
}

export async function list(
  db: Sql,
  { limit, after }: { limit: number; after: { createdAt: string; id: string } | null },
): Promise<Workflow[]> {
  const rows = await db.query<WorkflowRow>(
    `SELECT ${COLUMNS} FROM workflows w
      WHERE ($1::timestamptz IS NULL OR (w.created_at, w.id) < ($1::timestamptz, $2::uuid))
      ORDER BY w.created_at DESC, w.id DESC LIMIT $3`,
    [after?.createdAt ?? null, after?.id ?? null, limit],
  );
  return rows.map(toWorkflow);
}

export async function update(
  db: Sql,
  {
    id,
    patch,
  }: {
    id: string;
    patch: Partial<Omit<NewWorkflow, 'orgId' | 'slug'>>;
  },
): Promise<Workflow | null> {
  const rows = await db.query<{ id: string }>(
    `UPDATE workflows SET
        name = coalesce($2, name),
        description = coalesce($3, description),
        tier = coalesce($4, tier),
        timeout_ms = coalesce($5, timeout_ms),
        retry = coalesce($6::jsonb, retry),
        status = coalesce($7, status),
        language = coalesce($8, language),
        draft_source = coalesce($9, draft_source),
        updated_at = now()
      WHERE id = $1 RETURNING id`,
    [
      id,
      patch.name ?? null,
      patch.description ?? null,
      patch.tier ?? null,
      patch.timeoutMs ?? null,
      patch.retry ? JSON.stringify(patch.retry) : null,
      patch.status ?? null,
      patch.language ?? null,
      patch.source ?? null,
    ],
  );
  return rows[0] ? findById(db, { id }) : null;
}

export async function remove(db: Sql, { id }: { id: string }): Promise<boolean> {
  const rows = await db.query('DELETE FROM workflows WHERE id = $1 RETURNING id', [id]);
  return rows.length > 0;
}

interface VersionRow {
  readonly id: string;
  readonly workflow_id: string;
  readonly version: number;
  readonly language: string;
  readonly source: string;
  readonly tier: Tier;
  readonly timeout_ms: number;
  readonly retry: RetryPolicy;
  readonly note: string | null;
  readonly created_at: Date;
}

const VERSION_COLUMNS =
  'id, workflow_id, version, language, source, tier, timeout_ms, retry, note, created_at';

function toVersion(row: VersionRow): WorkflowVersion {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    version: row.version,
    language: row.language,
    source: row.source,
    tier: row.tier,
    timeoutMs: row.timeout_ms,
    retry: row.retry,
    note: row.note,
    createdAt: row.created_at.toISOString(),
  };
}

/** Publishes the next version number; the row lock on the workflow serializes publishers. */
export async function insertVersion(
  db: Sql,
  {
    orgId,
    workflow,
    compiled,
    note,
  }: { orgId: string; workflow: Workflow; compiled: string; note: string | null },
): Promise<WorkflowVersion> {
  const bumped = await db.query<{ latest_version: number }>(
    `UPDATE workflows SET latest_version = latest_version + 1 WHERE id = $1 RETURNING latest_version`,
    [workflow.id],
  );
  const version = (bumped[0] as { latest_version: number }).latest_version;
  const rows = await db.query<VersionRow>(
    `INSERT INTO workflow_versions (org_id, workflow_id, version, language, source, compiled, tier, timeout_ms, retry, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${VERSION_COLUMNS}`,
    [
      orgId,
      workflow.id,
      version,
      workflow.language,
      workflow.draftSource,
      compiled,
      workflow.tier,
      workflow.timeoutMs,
      JSON.stringify(workflow.retry),
      note,
    ],
  );
  return toVersion(rows[0] as VersionRow);
}

export async function listVersions(
  db: Sql,
  { workflowId }: { workflowId: string },
): Promise<WorkflowVersion[]> {
  const rows = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM workflow_versions WHERE workflow_id = $1 ORDER BY version DESC`,
    [workflowId],
  );
  return rows.map(toVersion);
}

export async function findVersion(
  db: Sql,
  { workflowId, version }: { workflowId: string; version: number },
): Promise<WorkflowVersion | null> {
  const rows = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM workflow_versions WHERE workflow_id = $1 AND version = $2`,
    [workflowId, version],
  );
  return rows[0] ? toVersion(rows[0]) : null;
}

export async function deploy(
  db: Sql,
  {
    orgId,
    workflowId,
    environment,
    versionId,
  }: { orgId: string; workflowId: string; environment: Environment; versionId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO workflow_deployments (org_id, workflow_id, environment, version_id)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (org_id, workflow_id, environment)
     DO UPDATE SET version_id = EXCLUDED.version_id, deployed_at = now()`,
    [orgId, workflowId, environment, versionId],
  );
}

/** What a run needs: the workflow's settings and the compiled code it runs. */
export interface Runnable {
  workflowId: string;
  slug: string;
  status: 'active' | 'inactive';
  versionId: string;
  version: number;
  tier: Tier;
  timeoutMs: number;
  retry: RetryPolicy;
  compiled: string;
}

interface RunnableRow {
  readonly workflow_id: string;
  readonly slug: string;
  readonly status: 'active' | 'inactive';
  readonly version_id: string;
  readonly version: number;
  readonly tier: Tier;
  readonly timeout_ms: number;
  readonly retry: RetryPolicy;
  readonly compiled: string;
}

function toRunnable(row: RunnableRow): Runnable {
  return {
    workflowId: row.workflow_id,
    slug: row.slug,
    status: row.status,
    versionId: row.version_id,
    version: row.version,
    tier: row.tier,
    timeoutMs: row.timeout_ms,
    retry: row.retry,
    compiled: row.compiled,
  };
}

const RUNNABLE_COLUMNS = `w.id AS workflow_id, w.slug, w.status, v.id AS version_id, v.version, v.tier,
  v.timeout_ms, v.retry, v.compiled`;

/** The version deployed to `environment`, or null when none is. */
export async function findDeployed(
  db: Sql,
  { ref, byId, environment }: { ref: string; byId: boolean; environment: Environment },
): Promise<Runnable | null> {
  const rows = await db.query<RunnableRow>(
    `SELECT ${RUNNABLE_COLUMNS}
       FROM workflows w
       JOIN workflow_deployments d ON d.org_id = w.org_id AND d.workflow_id = w.id AND d.environment = $2
       JOIN workflow_versions v ON v.org_id = d.org_id AND v.id = d.version_id
      WHERE ${byId ? 'w.id = $1::uuid' : 'w.slug = $1'}`,
    [ref, environment],
  );
  return rows[0] ? toRunnable(rows[0]) : null;
}

export async function findRunnableVersion(
  db: Sql,
  { workflowId, version }: { workflowId: string; version: number },
): Promise<Runnable | null> {
  const rows = await db.query<RunnableRow>(
    `SELECT ${RUNNABLE_COLUMNS}
       FROM workflows w JOIN workflow_versions v ON v.org_id = w.org_id AND v.workflow_id = w.id
      WHERE w.id = $1 AND v.version = $2`,
    [workflowId, version],
  );
  return rows[0] ? toRunnable(rows[0]) : null;
}

/** By version id: what an async worker loads for the execution it claimed. */
export async function findRunnableById(
  db: Sql,
  { versionId }: { versionId: string },
): Promise<Runnable | null> {
  const rows = await db.query<RunnableRow>(
    `SELECT ${RUNNABLE_COLUMNS}
       FROM workflow_versions v JOIN workflows w ON w.org_id = v.org_id AND w.id = v.workflow_id
      WHERE v.id = $1`,
    [versionId],
  );
  return rows[0] ? toRunnable(rows[0]) : null;
}
