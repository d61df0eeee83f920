// The authorization server MCP clients that speak only OAuth use (the MCP authorization flow):
// dynamic client registration (RFC 7591), the authorization code grant with PKCE (S256 only),
// consent by a signed-in person, refresh tokens that rotate, and tokens bound to one resource
// (RFC 8707). Tokens are opaque random strings, stored as SHA-256 hashes.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { OAuthClientMetadataSchema } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Database } from '../../db/database.ts';
import * as repo from '../../db/repositories/mcp-oauth.repo.ts';
import { listRegisteredOrgs } from '../../db/repositories/orgs.repo.ts';
import { systemTenant, type Permission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getCustomer } from '../customers/customers.service.ts';
import { permissionsOfRole } from '../people/roles.service.ts';
import { parseResource, resourceUrl, sameResource, type McpResource } from './resources.ts';

export const ACCESS_TOKEN_SECONDS = 3600;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;
const CODE_SECONDS = 120;
const ACCESS_PREFIX = 'mcp_at_';
const REFRESH_PREFIX = 'mcp_rt_';
const CODE_PREFIX = 'mcp_ac_';
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** An OAuth error as the protocol spells it (RFC 6749 §5.2): `error` and a description. */
export class OAuthProtocolError extends Error {
  readonly error: string;
  /** Set when the error goes back to the client through its verified redirect URI. */
  readonly redirect: { redirectUri: string; state: string | null } | null;
  constructor(
    error: string,
    description: string,
    redirect: { redirectUri: string; state: string | null } | null = null,
  ) {
    super(description);
    this.error = error;
    this.redirect = redirect;
  }
}

/** The person who consents: signed in, a member of an org with a role. */
export interface Person {
  readonly orgId: string;
  readonly userId: string;
  /** How the person is named to them (their email), when known. */
  readonly label: string | null;
  readonly permissions: ReadonlySet<Permission>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** The hash of a code or token of the given kind, or null when it is not one of ours. */
function hashOf(prefix: string, value: unknown): string | null {
  if (typeof value !== 'string' || !value.startsWith(prefix)) return null;
  return SECRET.test(value.slice(prefix.length)) ? sha256(value) : null;
}

/**
 * The scopes a token may carry: `read` lets a client look (the role's `…:read` permissions),
 * `write` lets it do what the role allows. A client asking for `read` alone gets `read`; the
 * person consenting may narrow any request to `read`. A token from before scopes (none stored)
 * acts with the whole role.
 */
export const MCP_SCOPES = ['read', 'write'] as const;

function scopeWords(scope: string | null): Set<string> {
  return new Set((scope ?? '').split(/\s+/).filter((w) => w !== ''));
}

/** Whether a request asks for read access only. */
export function asksReadOnly(scope: string | null): boolean {
  const words = scopeWords(scope);
  return words.has('read') && !words.has('write');
}

/** The scope granted for a request: `read` when it asks no more or the person narrowed it. */
export function grantedScope({
  requested,
  readOnly,
}: {
  requested: string | null;
  readOnly: boolean;
}): string {
  return readOnly || asksReadOnly(requested) ? 'read' : 'read write';
}

/** What a token of `scope` may do of its person's permissions. */
export function permissionsInScope(
  permissions: readonly Permission[],
  scope: string | null,
): Permission[] {
  const words = scopeWords(scope);
  if (scope === null || words.has('write') || !words.has('read')) return [...permissions];
  return permissions.filter((p) => p.endsWith(':read'));
}

/** Metadata of this authorization server (RFC 8414). */
export function authorizationServerMetadata({ baseUrl }: { baseUrl: string }) {
  return {
    issuer: baseUrl,
    authorization_endpoint: `${baseUrl}/oauth/authorize`,
    token_endpoint: `${baseUrl}/oauth/token`,
    registration_endpoint: `${baseUrl}/oauth/register`,
    revocation_endpoint: `${baseUrl}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: ['none'],
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    scopes_supported: [...MCP_SCOPES],
  };
}

/** Metadata of one protected resource (RFC 9728). */
export function protectedResourceMetadata({
  baseUrl,
  resource,
  advertised,
}: {
  baseUrl: string;
  resource: McpResource;
  /** The resource URL as the client called it (a gateway by query keeps its query). */
  advertised?: string;
}) {
  return {
    resource: advertised ?? resourceUrl({ baseUrl, resource }),
    authorization_servers: [baseUrl],
    bearer_methods_supported: ['header'],
    scopes_supported: [...MCP_SCOPES],
    resource_name:
      resource.plane === 'admin'
        ? 'Weft admin MCP server'
        : `Weft MCP gateway of customer ${resource.customerId}`,
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const REFUSED_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);

function allowedRedirect(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.hash !== '' || REFUSED_SCHEMES.has(url.protocol)) return false;
  // Plain http only back to the client's own machine (OAuth 2.1, native apps).
  if (url.protocol === 'http:') return LOOPBACK.has(url.hostname);
  return true;
}

/**
 * Registers a client (RFC 7591). Every client is public: it proves itself with PKCE, so no
 * secret is issued whatever it asked for.
 */
export async function registerClient({ db, body }: { db: Database; body: unknown }) {
  const parsed = OAuthClientMetadataSchema.safeParse(body);
  if (!parsed.success) {
    throw new OAuthProtocolError('invalid_client_metadata', parsed.error.issues[0]?.message ?? '');
  }
  const metadata = parsed.data;
  if (metadata.redirect_uris.length === 0 || !metadata.redirect_uris.every(allowedRedirect)) {
    throw new OAuthProtocolError(
      'invalid_redirect_uri',
      'redirect_uris must be https URLs, http URLs on localhost, or an app scheme, without a fragment',
    );
  }
  if (metadata.grant_types?.some((g) => g !== 'authorization_code' && g !== 'refresh_token')) {
    throw new OAuthProtocolError(
      'invalid_client_metadata',
      'only the authorization_code and refresh_token grants are supported',
    );
  }
  const registered = {
    ...metadata,
    client_name: metadata.client_name?.slice(0, 200),
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
  const row = await db.owner((sql) =>
    repo.insertClient(sql, {
      clientId: `mcp_${randomBytes(24).toString('base64url')}`,
      clientName: registered.client_name ?? null,
      redirectUris: registered.redirect_uris,
      metadata: registered,
    }),
  );
  return {
    ...registered,
    client_id: row.client_id,
    client_id_issued_at: Math.floor(row.created_at.getTime() / 1000),
  };
}

/** An authorization request that passed every check, ready for the person's decision. */
export interface AuthorizationRequest {
  readonly clientId: string;
  readonly clientName: string | null;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly state: string | null;
  readonly scope: string | null;
  readonly resource: McpResource;
  readonly resourceText: string;
}

/**
 * Checks an authorization request. Problems with the client or its redirect URI throw
 * `AppError` (shown to the person, never sent to an unverified redirect URI); the rest throw
 * `OAuthProtocolError` carrying the verified redirect URI to send them to.
 */
export async function checkAuthorizationRequest({
  db,
  baseUrl,
  params,
}: {
  db: Database;
  baseUrl: string;
  params: Record<string, unknown>;
}): Promise<AuthorizationRequest> {
  const text = (name: string): string | null => {
    const value = params[name];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  const clientId = text('client_id');
  const client =
    clientId && clientId.length <= 80
      ? await db.owner((sql) => repo.findClient(sql, { clientId }))
      : null;
  if (!client) throw new AppError('bad_request', 'unknown client_id: register the client first');
  const redirectUri =
    text('redirect_uri') ?? (client.redirect_uris.length === 1 ? client.redirect_uris[0] : null);
  if (!redirectUri || !client.redirect_uris.includes(redirectUri)) {
    throw new AppError('bad_request', 'redirect_uri is not one the client registered');
  }
  const request = {
    clientId: client.client_id,
    clientName: client.client_name,
    redirectUri,
    state: text('state'),
    scope: text('scope'),
  };
  const fail = (error: string, description: string) =>
    new OAuthProtocolError(error, description, { redirectUri, state: request.state });
  if (text('response_type') !== 'code') {
    throw fail('unsupported_response_type', 'response_type must be code');
  }
  const codeChallenge = text('code_challenge');
  if (!codeChallenge || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
    throw fail('invalid_request', 'code_challenge (PKCE, S256) is required');
  }
  if (text('code_challenge_method') !== 'S256') {
    throw fail('invalid_request', 'code_challenge_method must be S256');
  }
  const resourceText = text('resource');
  const resource = resourceText ? parseResource({ baseUrl, text: resourceText }) : null;
  if (!resourceText || !resource) {
    throw fail(
      'invalid_target',
      `resource must name ${baseUrl}/mcp or a customer's gateway, ${baseUrl}/mcp/gateway/<customer id>`,
    );
  }
  return { ...request, codeChallenge, resource, resourceText };
}

/** Where to send the browser with `params` added (the client's verified redirect URI). */
export function redirectWith({
  redirectUri,
  params,
}: {
  redirectUri: string;
  params: Record<string, string | null>;
}): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== null) url.searchParams.set(name, value);
  }
  return url.toString();
}

/** The answer to a request the person declined: `access_denied` at the client's redirect URI. */
export function deny({
  baseUrl,
  request,
}: {
  baseUrl: string;
  request: AuthorizationRequest;
}): string {
  return redirectWith({
    redirectUri: request.redirectUri,
    params: {
      error: 'access_denied',
      error_description: 'the person declined',
      state: request.state,
      iss: baseUrl,
    },
  });
}

/**
 * The person's consent to a checked request: the redirect that carries a one-time code. A
 * gateway is granted only when the person's org holds that customer.
 */
export async function allow({
  db,
  baseUrl,
  person,
  request,
  readOnly = false,
}: {
  db: Database;
  baseUrl: string;
  person: Person;
  request: AuthorizationRequest;
  /** The person narrowed the access to reading. */
  readOnly?: boolean;
}): Promise<string> {
  const scope = grantedScope({ requested: request.scope, readOnly });
  if (request.resource.plane === 'gateway') {
    // A not_found here says nothing about other orgs: the lookup runs in the person's org.
    await getCustomer({
      db,
      tenant: personTenant({ person, customerId: null, label: 'oauth consent' }),
      id: request.resource.customerId,
    });
  }
  const code = newSecret(CODE_PREFIX);
  await db.tenant({ orgId: person.orgId }, async (sql) => {
    await repo.insertCode(sql, {
      orgId: person.orgId,
      codeHash: sha256(code),
      clientId: request.clientId,
      userId: person.userId,
      resource: request.resourceText,
      scope,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      expiresAt: new Date(Date.now() + CODE_SECONDS * 1000),
    });
    // The consent is the write a person makes: who let which client act as them, where.
    await recordAudit(sql, {
      tenant: personTenant({ person, customerId: null, label: 'oauth consent' }),
      action: 'mcp_oauth.consent',
      resourceType: 'mcp_oauth_client',
      resourceId: request.clientId,
      customerId: request.resource.plane === 'gateway' ? request.resource.customerId : null,
      details: { clientName: request.clientName, resource: request.resourceText, scope },
    });
  });
  return redirectWith({
    redirectUri: request.redirectUri,
    params: { code, state: request.state, iss: baseUrl },
  });
}

function pkceMatches({ verifier, challenge }: { verifier: string; challenge: string }): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

async function issueTokens({
  db,
  orgId,
  grantId,
  clientId,
  userId,
  resource,
  scope,
}: {
  db: Database;
  orgId: string;
  grantId: string;
  clientId: string;
  userId: string;
  resource: string;
  scope: string | null;
}) {
  const access = newSecret(ACCESS_PREFIX);
  const refresh = newSecret(REFRESH_PREFIX);
  const now = Date.now();
  const common = { grantId, clientId, userId, resource, scope };
  await db.tenant({ orgId }, (sql) =>
    repo.insertTokens(sql, {
      orgId,
      tokens: [
        {
          ...common,
          tokenHash: sha256(access),
          kind: 'access',
          expiresAt: new Date(now + ACCESS_TOKEN_SECONDS * 1000),
        },
        {
          ...common,
          tokenHash: sha256(refresh),
          kind: 'refresh',
          expiresAt: new Date(now + REFRESH_TOKEN_SECONDS * 1000),
        },
      ],
    }),
  );
  return {
    access_token: access,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_SECONDS,
    refresh_token: refresh,
    ...(scope !== null && { scope }),
  };
}

/** The token endpoint: an authorization code (with its PKCE verifier) or a refresh token. */
export async function exchangeToken({
  db,
  baseUrl,
  params,
}: {
  db: Database;
  baseUrl: string;
  params: Record<string, unknown>;
}) {
  const text = (name: string): string | null => {
    const value = params[name];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  const clientId = text('client_id');
  if (!clientId) throw new OAuthProtocolError('invalid_request', 'client_id is required');
  const askedResource = text('resource');
  const asked = askedResource ? parseResource({ baseUrl, text: askedResource }) : null;
  if (askedResource && !asked) {
    throw new OAuthProtocolError(
      'invalid_target',
      'resource names none of this server’s resources',
    );
  }
  const grantType = text('grant_type');
  if (grantType === 'authorization_code') {
    const codeHash = hashOf(CODE_PREFIX, params['code']);
    const orgId = codeHash
      ? await repo.findHolderOrg(db, { table: 'codes', hash: codeHash })
      : null;
    const code =
      codeHash && orgId
        ? await db.tenant({ orgId }, (sql) => repo.consumeCode(sql, { codeHash }))
        : null;
    if (!code || code.expires_at.getTime() < Date.now() || code.client_id !== clientId) {
      throw new OAuthProtocolError(
        'invalid_grant',
        'the code is unknown, used, expired or not this client’s',
      );
    }
    if (text('redirect_uri') !== null && text('redirect_uri') !== code.redirect_uri) {
      throw new OAuthProtocolError(
        'invalid_grant',
        'redirect_uri differs from the authorization request',
      );
    }
    const verifier = text('code_verifier');
    if (!verifier || !pkceMatches({ verifier, challenge: code.code_challenge })) {
      throw new OAuthProtocolError(
        'invalid_grant',
        'code_verifier does not match the code_challenge',
      );
    }
    const granted = parseResource({ baseUrl, text: code.resource });
    if (!granted || (asked && !sameResource(asked, granted))) {
      throw new OAuthProtocolError('invalid_target', 'the code was granted for another resource');
    }
    return issueTokens({
      db,
      orgId: code.org_id,
      grantId: randomUUID(),
      clientId,
      userId: code.user_id,
      resource: code.resource,
      scope: code.scope,
    });
  }
  if (grantType === 'refresh_token') {
    const tokenHash = hashOf(REFRESH_PREFIX, params['refresh_token']);
    const found = tokenHash ? await repo.findTokenHolder(db, { tokenHash }) : null;
    if (!tokenHash || !found || found.kind !== 'refresh' || found.client_id !== clientId) {
      throw new OAuthProtocolError('invalid_grant', 'unknown refresh token');
    }
    const used = await db.tenant({ orgId: found.org_id }, async (sql) => {
      const row = await repo.useRefreshToken(sql, { tokenHash });
      if (!row) {
        // A refresh token presented twice was copied: end the whole grant.
        await repo.revokeGrant(sql, { grantId: found.grant_id });
        await recordAudit(sql, {
          tenant: systemTenant({
            orgId: found.org_id,
            actorId: null,
            label: 'mcp oauth',
            permissions: [],
          }),
          action: 'mcp_oauth.revoke',
          resourceType: 'mcp_oauth_client',
          resourceId: found.client_id,
          details: { reason: 'a used refresh token was presented again', userId: found.user_id },
        });
      }
      return row;
    });
    if (!used || used.expires_at.getTime() < Date.now() || found.role === null) {
      throw new OAuthProtocolError(
        'invalid_grant',
        'the refresh token was used, revoked or expired',
      );
    }
    const granted = parseResource({ baseUrl, text: used.resource });
    if (!granted || (asked && !sameResource(asked, granted))) {
      throw new OAuthProtocolError('invalid_target', 'the grant is for another resource');
    }
    return issueTokens({
      db,
      orgId: used.org_id,
      grantId: used.grant_id,
      clientId,
      userId: used.user_id,
      resource: used.resource,
      scope: used.scope,
    });
  }
  throw new OAuthProtocolError(
    'unsupported_grant_type',
    'grant_type must be authorization_code or refresh_token',
  );
}

/**
 * Token revocation (RFC 7009): a client ends its grant by presenting any of its tokens. Unknown
 * tokens, and tokens of another client, are answered the same way and change nothing.
 */
export async function revokeToken({
  db,
  params,
}: {
  db: Database;
  params: Record<string, unknown>;
}): Promise<void> {
  const token = params['token'];
  const tokenHash = hashOf(ACCESS_PREFIX, token) ?? hashOf(REFRESH_PREFIX, token);
  const found = tokenHash ? await repo.findTokenHolder(db, { tokenHash }) : null;
  if (!found || found.client_id !== params['client_id'] || found.revoked_at !== null) return;
  await db.tenant({ orgId: found.org_id }, async (sql) => {
    await repo.revokeGrant(sql, { grantId: found.grant_id });
    await recordAudit(sql, {
      tenant: systemTenant({
        orgId: found.org_id,
        actorId: null,
        label: 'mcp oauth',
        permissions: [],
      }),
      action: 'mcp_oauth.revoke',
      resourceType: 'mcp_oauth_client',
      resourceId: found.client_id,
      details: { reason: 'the client revoked its grant', userId: found.user_id },
    });
  });
}

function personTenant({
  person,
  customerId,
  label,
  requestId = null,
}: {
  person: Person;
  customerId: string | null;
  label: string;
  requestId?: string | null;
}): Tenant {
  return {
    orgId: person.orgId,
    customerId,
    // A person acts as a live key would (as with a signed-in session): every environment.
    mode: 'live',
    actor: { type: 'user', id: person.userId, label, userId: person.userId },
    permissions: person.permissions,
    requestId,
  };
}

/**
 * The tenant an access token acts as at `resource`: the consenting person, with their role's
 * permissions as they are now, and on a gateway that customer only. A token for another resource
 * (another customer's gateway, or the admin endpoint) is refused as if unknown.
 */
export async function authenticateAccessToken({
  db,
  baseUrl,
  token,
  resource,
  requestId,
}: {
  db: Database;
  baseUrl: string;
  token: string;
  resource: McpResource;
  requestId: string | null;
}): Promise<Tenant> {
  const tokenHash = hashOf(ACCESS_PREFIX, token);
  const found = tokenHash ? await repo.findTokenHolder(db, { tokenHash }) : null;
  if (
    !found ||
    found.kind !== 'access' ||
    found.revoked_at !== null ||
    found.expires_at.getTime() < Date.now()
  ) {
    throw new AppError('unauthorized', 'invalid or expired access token; authorize again');
  }
  const granted = parseResource({ baseUrl, text: found.resource });
  if (!granted || !sameResource(granted, resource)) {
    throw new AppError('unauthorized', 'this access token was issued for another resource');
  }
  if (found.role === null) {
    throw new AppError('unauthorized', "this token's person no longer belongs to the organization");
  }
  return personTenant({
    person: {
      orgId: found.org_id,
      userId: found.user_id,
      label: null,
      // The role's permissions as they are now, custom roles included, within the token's scope.
      permissions: new Set(
        permissionsInScope(permissionsOfRole(found.role, found.role_permissions), found.scope),
      ),
    },
    customerId: granted.plane === 'gateway' ? granted.customerId : null,
    label: `oauth client ${found.client_id}`,
    requestId,
  });
}

/** How long an expired token is kept: a replayed refresh token is still known as one. */
const EXPIRED_KEPT_MS = 24 * 60 * 60 * 1000;

/** Deletes expired MCP OAuth tokens and codes in every org (run by the workers). */
export async function purgeExpiredOAuthTokens({
  db,
  now = new Date(),
}: {
  db: Database;
  now?: Date;
}): Promise<number> {
  const before = new Date(now.getTime() - EXPIRED_KEPT_MS);
  const orgIds = await db.owner((sql) => listRegisteredOrgs(sql));
  let purged = 0;
  for (const orgId of orgIds) {
    purged += await db.tenant({ orgId }, (sql) => repo.removeExpired(sql, { before }));
  }
  return purged;
}
