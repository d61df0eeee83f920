import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../../../test/db.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../../crypto/envelope.ts';
import { createOrganization } from '../orgs/orgs.service.ts';
import { operatorTenant } from '../../domain/tenant.ts';
import { openCredentials, sealCredentials } from '../connections/credentials.ts';
import { sealInput, inputOfRun } from '../agent-runs/sealed-input.ts';
import { triggerSecretAad } from '../triggers/triggers.service.ts';
import { alertSecretAad } from '../alerts/alerts.service.ts';
import { open, seal } from '../../crypto/envelope.ts';
import { rotateSecrets } from './rotation.ts';
import { putSecret, readSecretValues } from './secrets.service.ts';

const CONNECTIONS = 2500;
const FIELDS = ['apiKey', 'password', 'access_token', 'refresh_token'];
const ORG_SECRETS = ['STRIPE_KEY', 'SLACK_TOKEN', 'WEBHOOK_SIGNING'];
const TOTAL = CONNECTIONS * FIELDS.length + 2 * ORG_SECRETS.length;

describe.each(TEST_DRIVERS)('master key rotation (%s)', (driver) => {
  let t: TestDatabase;
  const oldKey = parseMasterKey(generateMasterKey());
  const newKey = parseMasterKey(generateMasterKey());
  const orgIds: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(driver);
    const keyring = createKeyring({ active: oldKey });
    for (const name of ['Rot A', 'Rot B']) {
      const org = await createOrganization({
        db: t.db,
        name,
        ownerEmail: 'o@x.test',
        actorLabel: 'test',
      });
      const orgId = org.organization.id;
      orgIds.push(orgId);
      await t.db.tenant({ orgId }, async (sql) => {
        const [connector] = await sql.query<{ id: string }>(
          `INSERT INTO connectors (org_id, slug, name) VALUES ($1, 'c', 'C') RETURNING id`,
          [orgId],
        );
        const rows = Array.from({ length: CONNECTIONS / 2 }, (_, i) => {
          const id = randomUUID();
          const values = Object.fromEntries(FIELDS.map((f) => [f, `secret-${i}-${f}`]));
          return { id, credentials: sealCredentials({ keyring, orgId, connectionId: id, values }) };
        });
        for (let i = 0; i < rows.length; i += 250) {
          const chunk = rows.slice(i, i + 250);
          await sql.query(
            `INSERT INTO connections (id, org_id, connector_id, name, auth_method, status, credentials)
             SELECT (r->>'id')::uuid, $1, $2, 'n', 'api_key', 'active', r->'credentials' FROM jsonb_array_elements($3::jsonb) r`,
            [orgId, connector?.id, JSON.stringify(chunk)],
          );
        }
      });
      const tenant = operatorTenant({ orgId, userId: null, label: 'test' });
      for (const name of ORG_SECRETS) {
        await putSecret({ db: t.db, keyring, tenant, name, value: `org-secret-${orgId}-${name}` });
      }
    }
  }, 120_000);
  afterAll(() => t.close());

  it(`re-wraps ${TOTAL} secrets (connection credentials and org secrets) with 0 read failures, and is idempotent`, async () => {
    const rotating = createKeyring({ active: newKey, previous: [oldKey] });
    const report = await rotateSecrets({ db: t.db, keyring: rotating });
    expect(report).toMatchObject({ orgs: 2, rewrapped: TOTAL, failed: [] });

    // Only the new key from now on: every secret must still open, with its original value.
    const onlyNew = createKeyring({ active: newKey });
    let read = 0;
    let failures = 0;
    for (const orgId of orgIds) {
      const rows = await t.db.tenant({ orgId }, (sql) =>
        sql.query<{ id: string; credentials: Record<string, string> }>(
          'SELECT id, credentials FROM connections',
        ),
      );
      for (const row of rows) {
        try {
          const values = openCredentials({
            keyring: onlyNew,
            orgId,
            connectionId: row.id,
            sealed: row.credentials,
          });
          read += Object.keys(values).length;
          if (!Object.values(values).every((v) => v.startsWith('secret-'))) failures++;
        } catch {
          failures++;
        }
      }
    }
    expect(failures).toBe(0);
    expect(read).toBe(CONNECTIONS * FIELDS.length);
    for (const orgId of orgIds) {
      const values = await readSecretValues({ db: t.db, keyring: onlyNew, orgId });
      expect(Object.fromEntries(values)).toEqual(
        Object.fromEntries(ORG_SECRETS.map((name) => [name, `org-secret-${orgId}-${name}`])),
      );
    }

    const again = await rotateSecrets({ db: t.db, keyring: rotating });
    expect(again).toMatchObject({
      rewrapped: 0,
      alreadyCurrent: TOTAL,
      failed: [],
    });
  }, 120_000);

  it('a ciphertext copied to another connection does not open there', async () => {
    const orgId = orgIds[0] ?? '';
    const keyring = createKeyring({ active: newKey });
    const [first, second] = await t.db.tenant({ orgId }, (sql) =>
      sql.query<{ id: string; credentials: Record<string, string> }>(
        'SELECT id, credentials FROM connections LIMIT 2',
      ),
    );
    expect(() =>
      openCredentials({
        keyring,
        orgId,
        connectionId: second?.id ?? '',
        sealed: first?.credentials ?? {},
      }),
    ).toThrow(/cannot decrypt/);
    expect(() =>
      openCredentials({
        keyring,
        orgId: orgIds[1] ?? '',
        connectionId: first?.id ?? '',
        sealed: first?.credentials ?? {},
      }),
    ).toThrow(/cannot decrypt/);
    // Another field of the same row fails too.
    const swapped = { apiKey: first?.credentials['password'] ?? '' };
    expect(() =>
      openCredentials({ keyring, orgId, connectionId: first?.id ?? '', sealed: swapped }),
    ).toThrow(/cannot decrypt/);
  });

  it('reports an org secret it cannot read by name, without its value, and leaves it as it was', async () => {
    const orgId = orgIds[1] ?? '';
    const lostKey = parseMasterKey(generateMasterKey());
    await putSecret({
      db: t.db,
      keyring: createKeyring({ active: lostKey }),
      tenant: operatorTenant({ orgId, userId: null, label: 'test' }),
      name: 'SEALED_WITH_LOST_KEY',
      value: 'lost-value-123',
    });
    const report = await rotateSecrets({
      db: t.db,
      keyring: createKeyring({ active: newKey, previous: [oldKey] }),
    });
    expect(report.rewrapped).toBe(0);
    expect(report.failed).toEqual([
      {
        orgId,
        where: 'secret SEALED_WITH_LOST_KEY',
        reason: expect.stringMatching(/unknown master key id/) as string,
      },
    ]);
    expect(JSON.stringify(report)).not.toContain('lost-value-123');
    const values = await readSecretValues({
      db: t.db,
      keyring: createKeyring({ active: lostKey }),
      orgId,
      names: ['SEALED_WITH_LOST_KEY'],
    });
    expect(values.get('SEALED_WITH_LOST_KEY')).toBe('lost-value-123');
  });
  it('re-wraps webhook trigger secrets, alert signing secrets and sealed agent-run inputs too', async () => {
    const orgId = orgIds[0] ?? '';
    const old = createKeyring({ active: oldKey });
    const triggerId = randomUUID();
    const given = { source: 'https://example.test/spec.json', credentials: { token: 'tk-1' } };
    const ruleId = randomUUID();
    const runId = await t.db.tenant({ orgId }, async (sql) => {
      await sql.query(
        `INSERT INTO alert_rules (id, org_id, name, condition, threshold, window_seconds, signing_secret_sealed)
         VALUES ($1, $2, 'r', 'failure_count', 1, 300, $3)`,
        [
          ruleId,
          orgId,
          seal({ keyring: old, plaintext: 'whsec_alert', aad: alertSecretAad({ orgId, ruleId }) }),
        ],
      );
      await sql.query(
        `INSERT INTO triggers (id, org_id, type, name, secret_sealed) VALUES ($1, $2, 'webhook', 'w', $3)`,
        [
          triggerId,
          orgId,
          seal({ keyring: old, plaintext: 'whsec-1', aad: triggerSecretAad({ orgId, triggerId }) }),
        ],
      );
      const [run] = await sql.query<{ id: string }>(
        `INSERT INTO agent_runs (org_id, kind, actor_type) VALUES ($1, 'connector', 'api_key') RETURNING id`,
        [orgId],
      );
      const id = run?.id ?? '';
      await sql.query('UPDATE agent_runs SET input_sealed = $2 WHERE id = $1', [
        id,
        sealInput({ keyring: old, orgId, runId: id, input: given }),
      ]);
      return id;
    });
    const report = await rotateSecrets({
      db: t.db,
      keyring: createKeyring({ active: newKey, previous: [oldKey] }),
    });
    expect(report.rewrapped).toBe(3);
    expect(report.failed.map((f) => f.where)).toEqual(['secret SEALED_WITH_LOST_KEY']);

    const onlyNew = createKeyring({ active: newKey });
    const [row] = await t.db.tenant({ orgId }, (sql) =>
      sql.query<{ trigger: string; run: string; rule: string }>(
        `SELECT (SELECT secret_sealed FROM triggers WHERE id = $1) AS trigger,
                (SELECT input_sealed FROM agent_runs WHERE id = $2) AS run,
                (SELECT signing_secret_sealed FROM alert_rules WHERE id = $3) AS rule`,
        [triggerId, runId, ruleId],
      ),
    );
    expect(
      open({ keyring: onlyNew, sealed: row?.rule ?? '', aad: alertSecretAad({ orgId, ruleId }) }),
    ).toBe('whsec_alert');
    expect(
      open({
        keyring: onlyNew,
        sealed: row?.trigger ?? '',
        aad: triggerSecretAad({ orgId, triggerId }),
      }),
    ).toBe('whsec-1');
    expect(
      inputOfRun({
        keyring: onlyNew,
        run: { id: runId, orgId, input: {}, inputSealed: row?.run ?? null },
      }),
    ).toEqual(given);
  });
});
