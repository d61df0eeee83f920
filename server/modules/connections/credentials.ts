import { open, seal, type Keyring } from '../../crypto/envelope.ts';

/**
 * Credential fields are sealed one by one, each bound to its org, connection and field name:
 * a value copied to another row or field fails to open.
 */
function aadOf({
  orgId,
  connectionId,
  field,
}: {
  orgId: string;
  connectionId: string;
  field: string;
}): string {
  return `weft:connection-credential:v1|org:${orgId}|connection:${connectionId}|field:${field}`;
}

export function sealCredentials({
  keyring,
  orgId,
  connectionId,
  values,
}: {
  keyring: Keyring;
  orgId: string;
  connectionId: string;
  values: Readonly<Record<string, string>>;
}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([field, plaintext]) => [
      field,
      seal({ keyring, plaintext, aad: aadOf({ orgId, connectionId, field }) }),
    ]),
  );
}

export function openCredentials({
  keyring,
  orgId,
  connectionId,
  sealed,
}: {
  keyring: Keyring;
  orgId: string;
  connectionId: string;
  sealed: Readonly<Record<string, string>>;
}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(sealed).map(([field, value]) => [
      field,
      open({ keyring, sealed: value, aad: aadOf({ orgId, connectionId, field }) }),
    ]),
  );
}

export function oauthSecretAad({ orgId, appId }: { orgId: string; appId: string }): string {
  return `weft:oauth-app-secret:v1|org:${orgId}|app:${appId}`;
}

export function verifierAad({ orgId, state }: { orgId: string; state: string }): string {
  return `weft:oauth-verifier:v1|org:${orgId}|state:${state}`;
}
