import type { Sql } from '../database.ts';

export interface EnvironmentRow {
  name: string;
  description: string;
  createdAt: string;
}

export async function list(db: Sql): Promise<EnvironmentRow[]> {
  const rows = await db.query<{ name: string; description: string; created_at: Date }>(
    'SELECT name, description, created_at FROM environments ORDER BY name',
  );
  return rows.map((r) => ({
    name: r.name,
    description: r.description,
    createdAt: r.created_at.toISOString(),
  }));
}

export async function exists(db: Sql, { name }: { name: string }): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM environments WHERE name = $1', [name]);
  return rows.length > 0;
}

export async function insert(
  db: Sql,
  { orgId, name, description }: { orgId: string; name: string; description: string },
): Promise<EnvironmentRow> {
  const [row] = await db.query<{ name: string; description: string; created_at: Date }>(
    `INSERT INTO environments (org_id, name, description) VALUES ($1, $2, $3)
     RETURNING name, description, created_at`,
    [orgId, name, description],
  );
  if (!row) throw new Error('insert returned no row');
  return { name: row.name, description: row.description, createdAt: row.created_at.toISOString() };
}

export async function remove(db: Sql, { name }: { name: string }): Promise<boolean> {
  const rows = await db.query('DELETE FROM environments WHERE name = $1 RETURNING name', [name]);
  return rows.length > 0;
}

/** Workflows deployed per environment name. */
export async function deploymentCounts(db: Sql): Promise<Map<string, number>> {
  const rows = await db.query<{ environment: string; n: number }>(
    'SELECT environment, count(*)::int AS n FROM workflow_deployments GROUP BY environment',
  );
  return new Map(rows.map((r) => [r.environment, r.n]));
}

/** Removes what points at an environment that is going away; returns the workflow ids undeployed. */
export async function removeDeploymentsIn(
  db: Sql,
  { name }: { name: string },
): Promise<{ workflowIds: string[]; routes: number }> {
  const deployments = await db.query<{ workflow_id: string }>(
    'DELETE FROM workflow_deployments WHERE environment = $1 RETURNING workflow_id',
    [name],
  );
  const routes = await db.query('SELECT 1 FROM trigger_routes WHERE environment = $1', [name]);
  return { workflowIds: deployments.map((d) => d.workflow_id), routes: routes.length };
}
