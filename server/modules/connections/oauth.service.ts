/**
 * OAuth 2.0 apps (the org's client id and sealed secret per connector) and the
 * authorization-code flow: starting it (a one-time state and a PKCE verifier, stored sealed)
 * and completing it from the provider's redirect. The token requests themselves are in
 * tokens.ts, which also renews what this flow obtains.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { open, seal } from '../../crypto/envelope.ts';
import * as connectionsRepo from '../../db/repositories/connections.repo.ts';
import type { ConnectionRecord } from '../../db/repositories/connections.repo.ts';
import * as customersRepo from '../../db/repositories/customers.repo.ts';
import type { OAuthApp, PutOAuthApp } from '../../domain/connection.ts';
import type { Connector } from '../../domain/connector.ts';
import { requirePermission, systemTenant, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireConnector } from '../connectors/connectors.service.ts';
import { oauthSecretAad, verifierAad } from './credentials.ts';
import { describe, load, requireRecord, spanRecorder } from './records.ts';
import type { ConnectionRuntime } from './runtime.ts';
import {
  findMethod,
  GrantRejected,
  oauthClientOf,
  pkcePair,
  requestToken,
  storeTokens,
} from './tokens.ts';

const AUTHORIZATION_TTL_MS = 15 * 60_000;

function toOAuthApp(app: connectionsRepo.OAuthAppRecord): OAuthApp {
  return {
    connectorId: app.connectorId,
    clientId: app.clientId,
    hasClientSecret: app.clientSecretSealed !== null,
    authorizeUrl: app.authorizeUrl,
    tokenUrl: app.tokenUrl,
    scopes: app.scopes,
    updatedAt: app.updatedAt.toISOString(),
  };
}

export async function putOAuthApp({
  runtime,
  tenant,
  connector: ref,
  input,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connector: string;
  input: PutOAuthApp;
}): Promise<OAuthApp> {
  requirePermission(tenant, 'connectors:update');
  return runtime.db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    const existing = await connectionsRepo.findOAuthApp(sql, { connectorId: connector.id });
    const id = existing?.id ?? randomUUID();
    await connectionsRepo.upsertOAuthApp(sql, {
      id,
      orgId: tenant.orgId,
      connectorId: connector.id,
      clientId: input.clientId,
      clientSecretSealed:
        input.clientSecret === undefined
          ? undefined
          : seal({
              keyring: runtime.keyring,
              plaintext: input.clientSecret,
              aad: oauthSecretAad({ orgId: tenant.orgId, appId: id }),
            }),
      authorizeUrl: input.authorizeUrl ?? null,
      tokenUrl: input.tokenUrl ?? null,
      scopes: input.scopes ?? [],
    });
    await recordAudit(sql, {
      tenant,
      action: 'oauth_app.put',
      resourceType: 'oauth_app',
      resourceId: id,
      details: { connector: connector.slug, clientId: input.clientId },
    });
    const app = await connectionsRepo.findOAuthApp(sql, { connectorId: connector.id });
    if (!app) throw new Error('OAuth app vanished after upsert');
    return toOAuthApp(app);
  });
}

export async function getOAuthApp({
  runtime,
  tenant,
  connector: ref,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connector: string;
}): Promise<OAuthApp> {
  requirePermission(tenant, 'connectors:read');
  return runtime.db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    const app = await connectionsRepo.findOAuthApp(sql, { connectorId: connector.id });
    if (!app)
      throw new AppError(
        'not_found',
        `connector '${connector.slug}' has no OAuth app; PUT one with clientId and clientSecret`,
      );
    return toOAuthApp(app);
  });
}

/**
 * Starts an authorization-code flow: makes (or reuses) the connection, stores a one-time state
 * and a PKCE verifier, and returns the provider URL to send the user to.
 */
export async function startAuthorization({
  runtime,
  tenant,
  connector: connectorRef,
  customerId,
  connectionId,
  redirectUri,
  returnUrl,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connector: string | undefined;
  customerId: string | null;
  connectionId: string | undefined;
  redirectUri: string;
  returnUrl: string | null;
}): Promise<{ url: string; connectionId: string; expiresAt: string }> {
  requirePermission(tenant, 'connections:create');
  const state = randomBytes(32).toString('base64url');
  const { verifier, challenge } = pkcePair();
  const expiresAt = new Date(Date.now() + AUTHORIZATION_TTL_MS);
  const { url, id } = await runtime.db.tenant(tenant, async (sql) => {
    let record: ConnectionRecord;
    let connector: Connector;
    if (connectionId !== undefined) {
      record = await requireRecord(sql, connectionId);
      connector = await requireConnector(sql, record.connectorId);
    } else {
      connector = await requireConnector(sql, connectorRef ?? '');
      if (customerId !== null && !(await customersRepo.findById(sql, { id: customerId })))
        throw new AppError('not_found', `no customer ${customerId}`);
      const method = connector.authMethods.find(
        (m) => m.type === 'oauth2' && m.grant === 'authorization_code',
      );
      if (!method)
        throw new AppError(
          'bad_request',
          `connector '${connector.slug}' has no OAuth 2.0 authorization-code method`,
        );
      const id = randomUUID();
      await connectionsRepo.insert(sql, {
        id,
        orgId: tenant.orgId,
        connectorId: connector.id,
        customerId,
        name: connector.name,
        authMethod: method.key,
        status: 'pending',
        credentials: {},
        config: {},
      });
      await recordAudit(sql, {
        tenant,
        action: 'connection.create',
        resourceType: 'connection',
        resourceId: id,
        customerId,
        details: { connector: connector.slug, authMethod: method.key },
      });
      record = await requireRecord(sql, id);
    }
    const method = findMethod(connector, record.authMethod);
    if (method.type !== 'oauth2' || method.grant !== 'authorization_code') {
      throw new AppError(
        'bad_request',
        `${describe(record)} does not use an OAuth 2.0 authorization-code method`,
      );
    }
    if (record.status === 'revoked')
      throw new AppError('conflict', `${describe(record)} was revoked; create a new connection`);
    const client = oauthClientOf({
      runtime,
      orgId: tenant.orgId,
      method,
      app: await connectionsRepo.findOAuthApp(sql, { connectorId: connector.id }),
    });
    if (client.authorizeUrl === null)
      throw new AppError('bad_request', `no authorize URL for connector '${connector.slug}'`);
    await connectionsRepo.insertAuthorization(sql, {
      orgId: tenant.orgId,
      state,
      connectionId: record.id,
      codeVerifierSealed: seal({
        keyring: runtime.keyring,
        plaintext: verifier,
        aad: verifierAad({ orgId: tenant.orgId, state }),
      }),
      redirectUri,
      returnUrl,
      expiresAt,
    });
    const url = new URL(client.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', client.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    if (client.scopes.length > 0)
      url.searchParams.set('scope', client.scopes.join(method.scopeSeparator));
    url.searchParams.set('state', state);
    if (method.pkce) {
      url.searchParams.set('code_challenge', challenge);
      url.searchParams.set('code_challenge_method', 'S256');
    }
    for (const [k, v] of Object.entries(method.authorizeParams ?? {})) url.searchParams.set(k, v);
    return { url: url.toString(), id: record.id };
  });
  return { url, connectionId: id, expiresAt: expiresAt.toISOString() };
}

/**
 * The provider's redirect: finds the authorization by its state alone (no API key: this is the
 * user's browser), exchanges the code, and activates the connection.
 */
export async function completeAuthorization({
  runtime,
  state,
  code,
  error,
}: {
  runtime: ConnectionRuntime;
  state: string;
  code: string | undefined;
  error: string | undefined;
}): Promise<{ connectionId: string; returnUrl: string | null }> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(state))
    throw new AppError(
      'bad_request',
      'this authorization link is not valid; start the connection again',
    );
  const row = await connectionsRepo.takeAuthorizationByState(runtime.db, { state });
  if (!row)
    throw new AppError(
      'bad_request',
      'this authorization link was already used or is unknown; start the connection again',
    );
  if (row.expiresAt.getTime() < Date.now())
    throw new AppError(
      'bad_request',
      'this authorization link has expired; start the connection again',
    );
  const orgId = row.orgId;
  const tenant = systemTenant({
    orgId,
    actorId: null,
    label: 'oauth callback',
    permissions: ['connections:read', 'connections:update', 'connectors:read'],
  });
  const { record, connector } = await load(runtime, tenant, row.connectionId);
  if (error !== undefined || code === undefined) {
    const reason = `the user or provider declined the authorization (${(error ?? 'no code').slice(0, 100)})`;
    await runtime.db.tenant({ orgId }, (sql) =>
      connectionsRepo.setStatus(sql, {
        id: record.id,
        status: record.status === 'pending' ? 'error' : record.status,
        reason,
      }),
    );
    throw new AppError('bad_request', reason);
  }
  const method = findMethod(connector, record.authMethod);
  if (method.type !== 'oauth2')
    throw new AppError('bad_request', 'this connection does not use OAuth 2.0');
  const app = await runtime.db.tenant({ orgId }, (sql) =>
    connectionsRepo.findOAuthApp(sql, { connectorId: connector.id }),
  );
  const client = oauthClientOf({ runtime, orgId, method, app });
  const verifier = open({
    keyring: runtime.keyring,
    sealed: row.codeVerifierSealed,
    aad: verifierAad({ orgId, state }),
  });
  try {
    const tokens = await requestToken({
      runtime,
      method,
      client,
      params: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: row.redirectUri,
        ...(method.pkce && { code_verifier: verifier }),
      },
      trace: spanRecorder(runtime, record),
    });
    await runtime.db.tenant({ orgId }, async (sql) => {
      await storeTokens({ runtime, sql, record, tokens });
      await recordAudit(sql, {
        tenant,
        action: 'connection.authorize',
        resourceType: 'connection',
        resourceId: record.id,
        customerId: record.customerId,
        details: { connector: connector.slug, scope: tokens.scope },
      });
    });
  } catch (failure) {
    if (failure instanceof GrantRejected) {
      await runtime.db.tenant({ orgId }, (sql) =>
        connectionsRepo.setStatus(sql, { id: record.id, status: 'error', reason: failure.message }),
      );
      throw new AppError('bad_request', `${failure.message}; start the connection again`);
    }
    throw failure;
  }
  return { connectionId: record.id, returnUrl: row.returnUrl };
}
