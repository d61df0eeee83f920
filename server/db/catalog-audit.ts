import { APP_ROLE, type OwnerSql } from './database.ts';

/** Tables that hold no tenant data; the application role must have no access to them at all. */
export const SYSTEM_TABLES: ReadonlySet<string> = new Set([
  'weft_migrations',
  'installation',
  'org_registry',
  'schedule_hints',
  // OAuth clients of MCP register before anyone signs in: they belong to no org.
  'mcp_oauth_clients',
]);
/** The column that names the tenant, where it is not `org_id`. */
const TENANT_COLUMN: Readonly<Record<string, string>> = { organizations: 'id' };

export function tenantColumnOf(table: string): string {
  return TENANT_COLUMN[table] ?? 'org_id';
}

interface TableRow {
  name: string;
  rls: boolean;
  forced: boolean;
}

export async function listTables(sql: OwnerSql): Promise<TableRow[]> {
  return sql.query<TableRow>(
    `SELECT c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
  );
}

export async function tenantTables(sql: OwnerSql): Promise<string[]> {
  return (await listTables(sql)).map((t) => t.name).filter((name) => !SYSTEM_TABLES.has(name));
}

/**
 * Reads the catalog and lists every way the schema could let one tenant see another's rows:
 * tables without forced RLS or a tenant policy, an application role that can bypass RLS,
 * views that run as their owner, SECURITY DEFINER functions over tenant tables, and UNIQUE
 * constraints that span tenants (a conflict would reveal another tenant's value).
 * An empty list means the schema passes.
 */
export async function auditTenancy(sql: OwnerSql): Promise<string[]> {
  const problems: string[] = [];
  const tables = await listTables(sql);
  const tenantTables = tables.filter((t) => !SYSTEM_TABLES.has(t.name));

  for (const table of tenantTables) {
    if (!table.rls) problems.push(`table ${table.name}: row-level security is not enabled`);
    if (!table.forced) problems.push(`table ${table.name}: row-level security is not forced`);
    const column = tenantColumnOf(table.name);
    const cols = await sql.query<{ attnotnull: boolean }>(
      `SELECT attnotnull FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped`,
      [`public.${table.name}`, column],
    );
    if (cols[0]?.attnotnull !== true)
      problems.push(`table ${table.name}: no NOT NULL tenant column ${column}`);
    const policies = await sql.query<{ qual: string | null }>(
      `SELECT qual FROM pg_policies WHERE schemaname = 'public' AND tablename = $1`,
      [table.name],
    );
    if (!policies.some((p) => p.qual?.includes('weft_current_org()'))) {
      problems.push(`table ${table.name}: no policy scopes rows by weft_current_org()`);
    }
  }

  for (const table of tables.filter((t) => SYSTEM_TABLES.has(t.name))) {
    const [row] = await sql.query<{ ok: boolean }>(
      `SELECT has_table_privilege($1, $2, 'SELECT') OR has_table_privilege($1, $2, 'INSERT')
           OR has_table_privilege($1, $2, 'UPDATE') OR has_table_privilege($1, $2, 'DELETE') AS ok`,
      [APP_ROLE, `public.${table.name}`],
    );
    if (row?.ok) problems.push(`system table ${table.name}: ${APP_ROLE} has access`);
  }

  const [role] = await sql.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
    'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1',
    [APP_ROLE],
  );
  if (!role) problems.push(`role ${APP_ROLE} does not exist`);
  if (role?.rolsuper) problems.push(`role ${APP_ROLE} is a superuser`);
  if (role?.rolbypassrls) problems.push(`role ${APP_ROLE} has BYPASSRLS`);
  const owned = await sql.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = $1`,
    [APP_ROLE],
  );
  for (const o of owned)
    problems.push(`table ${o.tablename}: owned by ${APP_ROLE}, which could turn RLS off`);

  const views = await sql.query<{ name: string; kind: string; options: string[] | null }>(
    `SELECT c.relname AS name, c.relkind AS kind, c.reloptions AS options
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')`,
  );
  for (const v of views) {
    if (v.kind === 'm') problems.push(`materialized view ${v.name}: cannot carry RLS`);
    else if (!(v.options ?? []).some((o) => /^security_invoker=(true|on|1)$/i.test(o))) {
      problems.push(
        `view ${v.name}: lacks security_invoker, so it reads as its owner and bypasses RLS`,
      );
    }
  }

  const definers = await sql.query<{ name: string; src: string }>(
    `SELECT p.proname AS name, p.prosrc AS src FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.prosecdef`,
  );
  for (const f of definers) {
    const read = tenantTables.find((t) => new RegExp(`\\b${t.name}\\b`, 'i').test(f.src));
    if (read)
      problems.push(`function ${f.name}: SECURITY DEFINER and reads tenant table ${read.name}`);
  }

  const uniques = await sql.query<{ table: string; index: string; columns: string[] }>(
    `SELECT c.relname AS table, i.relname AS index,
            array(SELECT a.attname FROM unnest(x.indkey) k JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k)::text[] AS columns
       FROM pg_index x
       JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND x.indisunique`,
  );
  for (const u of uniques) {
    if (SYSTEM_TABLES.has(u.table)) continue;
    if (!u.columns.includes(tenantColumnOf(u.table))) {
      problems.push(
        `unique index ${u.index} on ${u.table}(${u.columns.join(', ')}): spans tenants`,
      );
    }
  }
  return problems;
}
