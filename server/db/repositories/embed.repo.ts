import type { Sql } from '../database.ts';
import type { Branding, Onboarding, Widget, WidgetConnector } from '../../domain/embed.ts';

interface WidgetRow {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly level: 'org' | 'user';
  readonly connectors: WidgetConnector[];
  readonly branding: Branding;
  readonly allowed_origins: string[];
  readonly onboarding: Onboarding;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const WIDGET_COLUMNS =
  'id, slug, name, level, connectors, branding, allowed_origins, onboarding, created_at, updated_at';

function toWidget(row: WidgetRow): Widget {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    level: row.level,
    connectors: row.connectors,
    branding: row.branding,
    allowedOrigins: row.allowed_origins,
    onboarding: row.onboarding,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export interface WidgetFields {
  name: string;
  level: 'org' | 'user';
  connectors: readonly WidgetConnector[];
  branding: Branding;
  allowedOrigins: readonly string[];
  onboarding: Onboarding;
}

export async function insertWidget(
  db: Sql,
  w: WidgetFields & { orgId: string; id: string; slug: string },
): Promise<Widget> {
  const rows = await db.query<WidgetRow>(
    `INSERT INTO widgets (org_id, id, slug, name, level, connectors, branding, allowed_origins, onboarding)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${WIDGET_COLUMNS}`,
    [
      w.orgId,
      w.id,
      w.slug,
      w.name,
      w.level,
      JSON.stringify(w.connectors),
      JSON.stringify(w.branding),
      JSON.stringify(w.allowedOrigins),
      JSON.stringify(w.onboarding),
    ],
  );
  return toWidget(rows[0] as WidgetRow);
}

export async function updateWidget(
  db: Sql,
  w: WidgetFields & { id: string },
): Promise<Widget | null> {
  const rows = await db.query<WidgetRow>(
    `UPDATE widgets SET name = $2, level = $3, connectors = $4, branding = $5,
            allowed_origins = $6, onboarding = $7, updated_at = now()
      WHERE id = $1 RETURNING ${WIDGET_COLUMNS}`,
    [
      w.id,
      w.name,
      w.level,
      JSON.stringify(w.connectors),
      JSON.stringify(w.branding),
      JSON.stringify(w.allowedOrigins),
      JSON.stringify(w.onboarding),
    ],
  );
  return rows[0] ? toWidget(rows[0]) : null;
}

/** By id (a UUID) or slug. */
export async function findWidget(
  db: Sql,
  { id, slug }: { id: string | null; slug: string | null },
): Promise<Widget | null> {
  const rows = await db.query<WidgetRow>(
    `SELECT ${WIDGET_COLUMNS} FROM widgets WHERE ($1::uuid IS NOT NULL AND id = $1::uuid) OR slug = $2`,
    [id, slug],
  );
  return rows[0] ? toWidget(rows[0]) : null;
}

export async function listWidgets(db: Sql): Promise<Widget[]> {
  const rows = await db.query<WidgetRow>(
    `SELECT ${WIDGET_COLUMNS} FROM widgets ORDER BY created_at, id`,
  );
  return rows.map(toWidget);
}

export async function deleteWidget(db: Sql, { id }: { id: string }): Promise<boolean> {
  const rows = await db.query(`DELETE FROM widgets WHERE id = $1 RETURNING id`, [id]);
  return rows.length > 0;
}

// ---- tokens -----------------------------------------------------------------------------------

export interface TokenRecord {
  readonly jti: string;
  readonly widgetId: string;
  readonly customerId: string;
  readonly endUserId: string | null;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
}

interface TokenRow {
  readonly jti: string;
  readonly widget_id: string;
  readonly customer_id: string;
  readonly end_user_id: string | null;
  readonly expires_at: Date;
  readonly revoked_at: Date | null;
}

export async function insertToken(
  db: Sql,
  t: Omit<TokenRecord, 'revokedAt'> & { orgId: string },
): Promise<void> {
  // Tokens past their expiry are useless: each mint clears the org's old ones.
  await db.query(`DELETE FROM embed_tokens WHERE expires_at < now() - interval '1 day'`);
  await db.query(
    `INSERT INTO embed_tokens (org_id, jti, widget_id, customer_id, end_user_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [t.orgId, t.jti, t.widgetId, t.customerId, t.endUserId, t.expiresAt],
  );
}

export async function findToken(db: Sql, { jti }: { jti: string }): Promise<TokenRecord | null> {
  const rows = await db.query<TokenRow>(
    `SELECT jti, widget_id, customer_id, end_user_id, expires_at, revoked_at
       FROM embed_tokens WHERE jti = $1`,
    [jti],
  );
  const row = rows[0];
  return row
    ? {
        jti: row.jti,
        widgetId: row.widget_id,
        customerId: row.customer_id,
        endUserId: row.end_user_id,
        expiresAt: row.expires_at,
        revokedAt: row.revoked_at,
      }
    : null;
}

export async function revokeToken(db: Sql, { jti }: { jti: string }): Promise<boolean> {
  const rows = await db.query(
    `UPDATE embed_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE jti = $1 RETURNING jti`,
    [jti],
  );
  return rows.length > 0;
}

// ---- connections made through a widget -------------------------------------------------------

export interface Activation {
  /** Triggers created for this connection (app events, schedules). */
  triggers: string[];
  /** Executions started by connecting (runOnConnect). */
  runs: string[];
  /** What could not be set up, in words. */
  problems: string[];
  /** When activation began (set once: whoever sets it is the one who activates). */
  claimedAt?: string;
}

export interface WidgetConnectionRecord {
  readonly connectionId: string;
  readonly widgetId: string;
  readonly customerId: string;
  readonly endUserId: string | null;
  readonly connectorSlug: string;
  readonly activation: Activation;
  readonly createdAt: Date;
}

interface WidgetConnectionRow {
  readonly connection_id: string;
  readonly widget_id: string;
  readonly customer_id: string;
  readonly end_user_id: string | null;
  readonly connector_slug: string;
  readonly activation: Partial<Activation>;
  readonly created_at: Date;
}

function toWidgetConnection(row: WidgetConnectionRow): WidgetConnectionRecord {
  return {
    connectionId: row.connection_id,
    widgetId: row.widget_id,
    customerId: row.customer_id,
    endUserId: row.end_user_id,
    connectorSlug: row.connector_slug,
    activation: {
      triggers: row.activation.triggers ?? [],
      runs: row.activation.runs ?? [],
      problems: row.activation.problems ?? [],
      ...(row.activation.claimedAt !== undefined && { claimedAt: row.activation.claimedAt }),
    },
    createdAt: row.created_at,
  };
}

const WC_COLUMNS =
  'connection_id, widget_id, customer_id, end_user_id, connector_slug, activation, created_at';

/** Records the link; a second call for the same connection keeps the first (idempotent). */
export async function insertWidgetConnection(
  db: Sql,
  c: Omit<WidgetConnectionRecord, 'activation' | 'createdAt'> & { orgId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO widget_connections (org_id, connection_id, widget_id, customer_id, end_user_id, connector_slug)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, connection_id) DO NOTHING`,
    [c.orgId, c.connectionId, c.widgetId, c.customerId, c.endUserId, c.connectorSlug],
  );
}

export async function findWidgetConnection(
  db: Sql,
  { connectionId }: { connectionId: string },
): Promise<WidgetConnectionRecord | null> {
  const rows = await db.query<WidgetConnectionRow>(
    `SELECT ${WC_COLUMNS} FROM widget_connections WHERE connection_id = $1 FOR UPDATE`,
    [connectionId],
  );
  return rows[0] ? toWidgetConnection(rows[0]) : null;
}

/** A widget's connections for one customer (and, for user-level widgets, one end user). */
export async function listWidgetConnections(
  db: Sql,
  {
    widgetId,
    customerId,
    endUserId,
  }: { widgetId: string; customerId: string; endUserId: string | null },
): Promise<WidgetConnectionRecord[]> {
  const rows = await db.query<WidgetConnectionRow>(
    `SELECT ${WC_COLUMNS} FROM widget_connections
      WHERE widget_id = $1 AND customer_id = $2 AND end_user_id IS NOT DISTINCT FROM $3
      ORDER BY created_at DESC`,
    [widgetId, customerId, endUserId],
  );
  return rows.map(toWidgetConnection);
}

/**
 * Claims the activation of a connection: true for exactly one caller, however many try at once
 * (the OAuth popup's report and a reload of the widget may race).
 */
export async function claimActivation(
  db: Sql,
  { connectionId }: { connectionId: string },
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE widget_connections
        SET activation = activation || jsonb_build_object('claimedAt', now()), updated_at = now()
      WHERE connection_id = $1 AND NOT (activation ? 'claimedAt')
      RETURNING connection_id`,
    [connectionId],
  );
  return rows.length > 0;
}

export async function setActivation(
  db: Sql,
  { connectionId, activation }: { connectionId: string; activation: Activation },
): Promise<void> {
  await db.query(
    `UPDATE widget_connections SET activation = $2, updated_at = now() WHERE connection_id = $1`,
    [connectionId, JSON.stringify(activation)],
  );
}

// ---- onboarding settings ----------------------------------------------------------------------

export interface SettingsRecord {
  readonly answers: Record<string, unknown>;
  readonly settings: Record<string, unknown>;
}

export async function findSettings(
  db: Sql,
  { widgetId, customerId }: { widgetId: string; customerId: string },
): Promise<SettingsRecord | null> {
  const rows = await db.query<SettingsRecord>(
    `SELECT answers, settings FROM widget_settings WHERE widget_id = $1 AND customer_id = $2`,
    [widgetId, customerId],
  );
  return rows[0] ?? null;
}

export async function putSettings(
  db: Sql,
  {
    orgId,
    widgetId,
    customerId,
    answers,
    settings,
  }: SettingsRecord & { orgId: string; widgetId: string; customerId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO widget_settings (org_id, widget_id, customer_id, answers, settings)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (org_id, widget_id, customer_id)
     DO UPDATE SET answers = EXCLUDED.answers, settings = EXCLUDED.settings, updated_at = now()`,
    [orgId, widgetId, customerId, JSON.stringify(answers), JSON.stringify(settings)],
  );
}
