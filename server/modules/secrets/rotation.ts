import { rewrap, sealedKeyId, type Keyring } from '../../crypto/envelope.ts';
import * as alertsRepo from '../../db/repositories/alerts.repo.ts';
import { alertSecretAad } from '../alerts/alerts.service.ts';
import type { Database, Sql } from '../../db/database.ts';
import * as agentRunsRepo from '../../db/repositories/agent-runs.repo.ts';
import * as connectionsRepo from '../../db/repositories/connections.repo.ts';
import { listRegisteredOrgs } from '../../db/repositories/orgs.repo.ts';
import * as secretsRepo from '../../db/repositories/secrets.repo.ts';
import * as triggersRepo from '../../db/repositories/triggers.repo.ts';
import { agentRunInputAad } from '../agent-runs/sealed-input.ts';
import { oauthSecretAad, verifierAad } from '../connections/credentials.ts';
import { triggerSecretAad } from '../triggers/triggers.service.ts';
import { secretValueAad } from './secrets.service.ts';

export interface RotationReport {
  orgs: number;
  rewrapped: number;
  alreadyCurrent: number;
  failed: { orgId: string; where: string; reason: string }[];
}

const CREDENTIAL_AAD = (orgId: string, connectionId: string, field: string) =>
  `weft:connection-credential:v1|org:${orgId}|connection:${connectionId}|field:${field}`;

async function rotateOrg({
  sql,
  keyring,
  orgId,
  report,
}: {
  sql: Sql;
  keyring: Keyring;
  orgId: string;
  report: RotationReport;
}): Promise<void> {
  const one = (sealed: string, aad: string, where: string): string => {
    try {
      if (sealedKeyId(sealed) === keyring.activeKid) {
        report.alreadyCurrent++;
        return sealed;
      }
      const next = rewrap({ keyring, sealed, aad });
      report.rewrapped++;
      return next;
    } catch (error) {
      report.failed.push({ orgId, where, reason: (error as Error).message });
      return sealed;
    }
  };
  const connections = await connectionsRepo.lockAllCredentials(sql);
  for (const c of connections) {
    const next = Object.fromEntries(
      Object.entries(c.credentials).map(([field, sealed]) => [
        field,
        one(sealed, CREDENTIAL_AAD(orgId, c.id, field), `connection ${c.id} ${field}`),
      ]),
    );
    if (JSON.stringify(next) !== JSON.stringify(c.credentials)) {
      await connectionsRepo.updateCredentials(sql, { id: c.id, credentials: next });
    }
  }
  for (const app of await connectionsRepo.lockAllOAuthAppSecrets(sql)) {
    if (app.clientSecretSealed === null) continue;
    const next = one(
      app.clientSecretSealed,
      oauthSecretAad({ orgId, appId: app.id }),
      `oauth app ${app.id}`,
    );
    if (next !== app.clientSecretSealed)
      await connectionsRepo.updateOAuthAppSecret(sql, { id: app.id, clientSecretSealed: next });
  }
  for (const p of await connectionsRepo.lockAllAuthorizationVerifiers(sql)) {
    const next = one(
      p.codeVerifierSealed,
      verifierAad({ orgId, state: p.state }),
      'pending authorization',
    );
    if (next !== p.codeVerifierSealed)
      await connectionsRepo.updateAuthorizationVerifier(sql, {
        state: p.state,
        codeVerifierSealed: next,
      });
  }
  for (const secret of await secretsRepo.lockAllSealed(sql)) {
    const next = one(
      secret.valueSealed,
      secretValueAad({ orgId, name: secret.name }),
      `secret ${secret.name}`,
    );
    if (next !== secret.valueSealed)
      await secretsRepo.updateSealed(sql, { id: secret.id, valueSealed: next });
  }
  for (const trigger of await triggersRepo.lockAllSealedSecrets(sql)) {
    const next = one(
      trigger.secretSealed,
      triggerSecretAad({ orgId, triggerId: trigger.id }),
      `trigger ${trigger.id}`,
    );
    if (next !== trigger.secretSealed)
      await triggersRepo.updateSecretSealed(sql, { id: trigger.id, secretSealed: next });
  }
  for (const rule of await alertsRepo.lockAllSigningSecrets(sql)) {
    const next = one(
      rule.signingSecretSealed,
      alertSecretAad({ orgId, ruleId: rule.id }),
      `alert rule ${rule.id}`,
    );
    if (next !== rule.signingSecretSealed)
      await alertsRepo.setSigningSecret(sql, { id: rule.id, signingSecretSealed: next });
  }
  for (const run of await agentRunsRepo.lockAllSealedInputs(sql)) {
    const next = one(
      run.inputSealed,
      agentRunInputAad({ orgId, runId: run.id }),
      `agent run ${run.id}`,
    );
    if (next !== run.inputSealed)
      await agentRunsRepo.setInputSealed(sql, { id: run.id, sealed: next });
  }
}

/**
 * Re-wraps every stored secret under the active master key (payloads untouched), one org per
 * transaction. Run it after setting the new WEFT_MASTER_KEY with the old one in
 * WEFT_PREVIOUS_MASTER_KEYS; when it reports no failures the old key can be dropped.
 */
export async function rotateSecrets({
  db,
  keyring,
  onProgress,
}: {
  db: Database;
  keyring: Keyring;
  onProgress?: (done: number, total: number) => void;
}): Promise<RotationReport> {
  const orgIds = await db.owner((sql) => listRegisteredOrgs(sql));
  const report: RotationReport = {
    orgs: orgIds.length,
    rewrapped: 0,
    alreadyCurrent: 0,
    failed: [],
  };
  let done = 0;
  for (const orgId of orgIds) {
    await db.tenant({ orgId }, (sql) => rotateOrg({ sql, keyring, orgId, report }));
    onProgress?.(++done, orgIds.length);
  }
  return report;
}
