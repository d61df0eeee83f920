import type { Sql } from '../database.ts';
import type { StoredGatewayOffer } from '../../domain/gateway.ts';

interface OfferRow {
  readonly actions: Record<string, string[]>;
  readonly workflows: string[];
}

export async function find(
  db: Sql,
  { customerId }: { customerId: string },
): Promise<StoredGatewayOffer | null> {
  const rows = await db.query<OfferRow>(
    `SELECT actions, workflows FROM gateway_offers WHERE customer_id = $1`,
    [customerId],
  );
  const row = rows[0];
  return row ? { actions: row.actions, workflows: row.workflows } : null;
}

export async function upsert(
  db: Sql,
  { orgId, customerId, offer }: { orgId: string; customerId: string; offer: StoredGatewayOffer },
): Promise<void> {
  await db.query(
    `INSERT INTO gateway_offers (org_id, customer_id, actions, workflows) VALUES ($1, $2, $3, $4)
     ON CONFLICT (org_id, customer_id) DO UPDATE
       SET actions = EXCLUDED.actions, workflows = EXCLUDED.workflows, updated_at = now()`,
    [orgId, customerId, JSON.stringify(offer.actions), offer.workflows],
  );
}
