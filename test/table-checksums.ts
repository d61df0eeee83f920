import type { Database } from '../server/db/database.ts';

/**
 * Columns left out of the checksums. Authenticating a call records when its key was last used
 * (at most once a minute per key), whether the call then writes or not.
 */
const VOLATILE: Record<string, readonly string[]> = { api_keys: ['last_used_at'] };

/**
 * Row count and checksum of every table in the public schema, read as the owner (which row
 * security does not restrict): equal before and after a call proves the call changed nothing.
 * The job queue keeps its bookkeeping in its own schema, outside what this reads.
 */
export async function tableChecksums(db: Database): Promise<Record<string, string>> {
  return db.owner(async (sql) => {
    const tables = await sql.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    const parts = tables.map(({ name }) => {
      const dropped = (VOLATILE[name] ?? []).map((c) => ` - '${c}'`).join('');
      return `SELECT '${name}' AS name, count(*)::text || ' rows, ' ||
                coalesce(md5(string_agg((to_jsonb(t)${dropped})::text, E'\\n' ORDER BY (to_jsonb(t)${dropped})::text)), '-') AS sum
                FROM public."${name}" t`;
    });
    const rows = await sql.query<{ name: string; sum: string }>(parts.join(' UNION ALL '));
    return Object.fromEntries(rows.map((r) => [r.name, r.sum]));
  });
}
