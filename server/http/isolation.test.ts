import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, withKey, type SeededOrg, type TestApp } from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';
import { tenantTables } from '../db/catalog-audit.ts';
import { APP_ROLE } from '../db/database.ts';
import { readSecretValues } from '../modules/secrets/secrets.service.ts';

interface Tenancy {
  org: SeededOrg;
  customers: { id: string; externalId: string }[];
  keyIds: string[];
  connector: { id: string; slug: string };
  actionId: string;
  eventId: string;
  connectionId: string;
  traceId: string;
  secret: { name: string; value: string };
  workflow: { id: string; slug: string };
  executionId: string;
  triggerId: string;
  triggerEventId: string;
  specId: string;
  agentRunId: string;
  assistantSessionId: string;
  alertRuleId: string;
  environment: string;
  widget: { id: string; slug: string };
  embedTokenJti: string;
  invitationId: string;
  role: string;
  /** A signed-in session of a person of the org, and an MCP OAuth grant of its owner. */
  sessionId: string;
  grantId: string;
}

type Probe = (
  self: Tenancy,
  other: Tenancy,
) => {
  urls: string[];
  payload?: unknown;
  /**
   * The route names a resource the caller creates by that name (PUT /secrets/{name}): another
   * tenant's name writes the caller's own resource (200/201), removed again after the probe.
   */
  ownNamespace?: { cleanup: (url: string) => string };
  /** A public endpoint (a webhook URL): anyone may call it, so there is nothing to probe. */
  public?: true;
};

/**
 * How to probe each route that takes an id or a name: with the caller's own key and the other
 * tenant's ids (and unique slugs). A new route with a path parameter must be added here.
 */
function workflowUrls(o: Tenancy, suffix: string): string[] {
  return [
    `/api/v1/workflows/${o.workflow.id}${suffix}`,
    `/api/v1/workflows/${o.workflow.slug}${suffix}`,
  ];
}

const PROBES: Record<string, Probe> = {
  'GET /api/v1/agent-runs/{runId}': (_, o) => ({ urls: [`/api/v1/agent-runs/${o.agentRunId}`] }),
  'POST /api/v1/agent-runs/{runId}/approve': (_, o) => ({
    urls: [`/api/v1/agent-runs/${o.agentRunId}/approve`],
  }),
  'POST /api/v1/agent-runs/{runId}/revise': (_, o) => ({
    urls: [`/api/v1/agent-runs/${o.agentRunId}/revise`],
    payload: { note: 'hijacked' },
  }),
  'POST /api/v1/agent-runs/{runId}/cancel': (_, o) => ({
    urls: [`/api/v1/agent-runs/${o.agentRunId}/cancel`],
  }),
  'GET /api/v1/assistant/sessions/{sessionId}': (_, o) => ({
    urls: [`/api/v1/assistant/sessions/${o.assistantSessionId}`],
  }),
  'POST /api/v1/assistant/sessions/{sessionId}/messages': (_, o) => ({
    urls: [`/api/v1/assistant/sessions/${o.assistantSessionId}/messages`],
    payload: { text: 'hijacked' },
  }),
  'GET /api/v1/assistant/sessions/{sessionId}/events': (_, o) => ({
    urls: [`/api/v1/assistant/sessions/${o.assistantSessionId}/events`],
  }),
  'GET /api/v1/widgets/{widget}': (_, o) => ({
    urls: [`/api/v1/widgets/${o.widget.id}`, `/api/v1/widgets/${o.widget.slug}`],
  }),
  'PATCH /api/v1/widgets/{widget}': (_, o) => ({
    urls: [`/api/v1/widgets/${o.widget.id}`, `/api/v1/widgets/${o.widget.slug}`],
    payload: { name: 'hijacked' },
  }),
  'DELETE /api/v1/widgets/{widget}': (_, o) => ({
    urls: [`/api/v1/widgets/${o.widget.id}`, `/api/v1/widgets/${o.widget.slug}`],
  }),
  'DELETE /api/v1/embed/tokens/{jti}': (_, o) => ({
    urls: [`/api/v1/embed/tokens/${o.embedTokenJti}`],
  }),
  'PATCH /api/v1/people/{id}': (_, o) => ({
    urls: [`/api/v1/people/${o.org.owner.id}`],
    payload: { role: 'viewer' },
  }),
  'DELETE /api/v1/people/{id}': (_, o) => ({ urls: [`/api/v1/people/${o.org.owner.id}`] }),
  'DELETE /api/v1/people/invitations/{id}': (_, o) => ({
    urls: [`/api/v1/people/invitations/${o.invitationId}`],
  }),
  'DELETE /api/v1/auth/sessions/{id}': (_, o) => ({
    urls: [`/api/v1/auth/sessions/${o.sessionId}`],
  }),
  'DELETE /api/v1/auth/mcp-clients/{id}': (_, o) => ({
    urls: [`/api/v1/auth/mcp-clients/${o.grantId}`],
  }),
  'PATCH /api/v1/roles/{slug}': (_, o) => ({
    urls: [`/api/v1/roles/${o.role}`],
    payload: { name: 'hijacked' },
  }),
  'DELETE /api/v1/roles/{slug}': (_, o) => ({ urls: [`/api/v1/roles/${o.role}`] }),
  'POST /api/v1/roles/{slug}/duplicate': (_, o) => ({
    urls: [`/api/v1/roles/${o.role}/duplicate`],
    payload: { slug: 'copied', name: 'Copied' },
  }),
  'GET /api/v1/customers/{id}': (_, o) => ({
    urls: o.customers.map((c) => `/api/v1/customers/${c.id}`),
  }),
  'PATCH /api/v1/customers/{id}': (_, o) => ({
    urls: o.customers.map((c) => `/api/v1/customers/${c.id}`),
    payload: { name: 'hijacked' },
  }),
  'DELETE /api/v1/customers/{id}': (_, o) => ({
    urls: o.customers.map((c) => `/api/v1/customers/${c.id}`),
  }),
  'POST /api/v1/api-keys/{id}/revoke': (_, o) => ({
    urls: o.keyIds.map((id) => `/api/v1/api-keys/${id}/revoke`),
  }),
  'GET /api/v1/connectors/{connector}': (_, o) => ({ urls: connectorUrls(o, '') }),
  'PATCH /api/v1/connectors/{connector}': (_, o) => ({
    urls: connectorUrls(o, ''),
    payload: { name: 'hijacked' },
  }),
  'DELETE /api/v1/connectors/{connector}': (_, o) => ({ urls: connectorUrls(o, '') }),
  'GET /api/v1/connectors/{connector}/export': (_, o) => ({ urls: connectorUrls(o, '/export') }),
  'GET /api/v1/connectors/{connector}/actions': (_, o) => ({ urls: connectorUrls(o, '/actions') }),
  'POST /api/v1/connectors/{connector}/actions': (_, o) => ({
    urls: connectorUrls(o, '/actions'),
    payload: { slug: 'planted', name: 'planted', method: 'GET', path: '/x' },
  }),
  'GET /api/v1/connectors/{connector}/actions/{action}': (s, o) => ({
    urls: [
      ...connectorUrls(o, `/actions/${o.actionId}`),
      `/api/v1/connectors/${s.connector.slug}/actions/${o.actionId}`,
    ],
  }),
  'DELETE /api/v1/connectors/{connector}/actions/{action}': (s, o) => ({
    urls: [
      ...connectorUrls(o, `/actions/${o.actionId}`),
      `/api/v1/connectors/${s.connector.slug}/actions/${o.actionId}`,
    ],
  }),
  'GET /api/v1/connectors/{connector}/events': (_, o) => ({ urls: connectorUrls(o, '/events') }),
  'POST /api/v1/connectors/{connector}/events': (_, o) => ({
    urls: connectorUrls(o, '/events'),
    payload: { name: 'planted.event' },
  }),
  'DELETE /api/v1/connectors/{connector}/events/{event}': (s, o) => ({
    urls: [
      ...connectorUrls(o, `/events/${o.eventId}`),
      `/api/v1/connectors/${s.connector.slug}/events/${o.eventId}`,
    ],
  }),
  'PUT /api/v1/connectors/{connector}/oauth-app': (_, o) => ({
    urls: connectorUrls(o, '/oauth-app'),
    payload: { clientId: 'planted' },
  }),
  'GET /api/v1/connectors/{connector}/oauth-app': (_, o) => ({
    urls: connectorUrls(o, '/oauth-app'),
  }),
  'GET /api/v1/connections/{id}': (_, o) => ({ urls: [`/api/v1/connections/${o.connectionId}`] }),
  'DELETE /api/v1/connections/{id}': (_, o) => ({
    urls: [`/api/v1/connections/${o.connectionId}`],
  }),
  'POST /api/v1/connections/{id}/test': (_, o) => ({
    urls: [`/api/v1/connections/${o.connectionId}/test`],
  }),
  'POST /api/v1/connections/{id}/actions/{action}': (_, o) => ({
    urls: [`/api/v1/connections/${o.connectionId}/actions/ping`],
    payload: { input: {} },
  }),
  'POST /api/v1/connections/{id}/proxy': (_, o) => ({
    urls: [`/api/v1/connections/${o.connectionId}/proxy`],
    payload: { method: 'GET', path: '/' },
  }),
  'GET /api/v1/connections/{id}/spans': (_, o) => ({
    urls: [`/api/v1/connections/${o.connectionId}/spans`],
  }),
  'GET /api/v1/traces/{traceId}': (_, o) => ({ urls: [`/api/v1/traces/${o.traceId}`] }),
  'GET /api/v1/specs/{specId}': (_, o) => ({ urls: [`/api/v1/specs/${o.specId}?text=true`] }),
  'GET /api/v1/customers/{customerId}/gateway': (_, o) => ({
    urls: o.customers.map((c) => `/api/v1/customers/${c.id}/gateway`),
  }),
  'PUT /api/v1/customers/{customerId}/gateway': (_, o) => ({
    urls: o.customers.map((c) => `/api/v1/customers/${c.id}/gateway`),
    payload: { workflows: [] },
  }),
  'PUT /api/v1/secrets/{name}': (_, o) => ({
    urls: [`/api/v1/secrets/${o.secret.name}`],
    payload: { value: 'planted' },
    ownNamespace: { cleanup: (url) => url },
  }),
  'DELETE /api/v1/secrets/{name}': (_, o) => ({ urls: [`/api/v1/secrets/${o.secret.name}`] }),
  'GET /api/v1/workflows/{id}': (_, o) => ({ urls: workflowUrls(o, '') }),
  'PATCH /api/v1/workflows/{id}': (_, o) => ({
    urls: workflowUrls(o, ''),
    payload: { name: 'hijacked', source: 'export default async function () { return 1; }' },
  }),
  'DELETE /api/v1/workflows/{id}': (_, o) => ({ urls: workflowUrls(o, '') }),
  'POST /api/v1/workflows/{id}/publish': (_, o) => ({
    urls: workflowUrls(o, '/publish'),
    payload: { deployTo: ['production'] },
  }),
  'POST /api/v1/workflows/{id}/deploy': (_, o) => ({
    urls: workflowUrls(o, '/deploy'),
    payload: { environment: 'staging', version: 1 },
  }),
  'GET /api/v1/workflows/{id}/versions': (_, o) => ({ urls: workflowUrls(o, '/versions') }),
  'POST /api/v1/workflows/{id}/run': (_, o) => ({
    urls: workflowUrls(o, '/run'),
    payload: { environment: 'production' },
  }),
  'GET /api/v1/executions/{id}': (_, o) => ({ urls: [`/api/v1/executions/${o.executionId}`] }),
  'GET /api/v1/triggers/{id}': (_, o) => ({ urls: [`/api/v1/triggers/${o.triggerId}`] }),
  'GET /api/v1/triggers/{id}/preview': (_, o) => ({
    urls: [`/api/v1/triggers/${o.triggerId}/preview`],
  }),
  'PATCH /api/v1/triggers/{id}': (_, o) => ({
    urls: [`/api/v1/triggers/${o.triggerId}`],
    payload: { name: 'hijacked', status: 'inactive' },
  }),
  'DELETE /api/v1/triggers/{id}': (_, o) => ({ urls: [`/api/v1/triggers/${o.triggerId}`] }),
  'GET /api/v1/events/{id}': (_, o) => ({ urls: [`/api/v1/events/${o.triggerEventId}`] }),
  'POST /api/v1/events/{id}/replay': (_, o) => ({
    urls: [`/api/v1/events/${o.triggerEventId}/replay`],
  }),
  'POST /hooks/{id}': () => ({ urls: [], public: true }),
  'POST /api/v1/executions/{id}/rerun': (_, o) => ({
    urls: [`/api/v1/executions/${o.executionId}/rerun`],
  }),
  'GET /api/v1/alert-rules/{id}': (_, o) => ({ urls: [`/api/v1/alert-rules/${o.alertRuleId}`] }),
  'PATCH /api/v1/alert-rules/{id}': (_, o) => ({
    urls: [`/api/v1/alert-rules/${o.alertRuleId}`],
    payload: { threshold: 99 },
  }),
  'DELETE /api/v1/alert-rules/{id}': (_, o) => ({ urls: [`/api/v1/alert-rules/${o.alertRuleId}`] }),
  'DELETE /api/v1/environments/{name}': (_, o) => ({
    urls: [`/api/v1/environments/${o.environment}`],
  }),
  'GET /api/v1/customers/{customerId}/quotas': (_, o) => ({
    urls: o.customers.map((c) => `/api/v1/customers/${c.id}/quotas`),
  }),
  'PUT /api/v1/customers/{customerId}/quotas': (_, o) => ({
    urls: o.customers.map((c) => `/api/v1/customers/${c.id}/quotas`),
    payload: { executions: 1 },
  }),
};

function connectorUrls(other: Tenancy, suffix: string): string[] {
  return [
    `/api/v1/connectors/${other.connector.id}${suffix}`,
    `/api/v1/connectors/${other.connector.slug}${suffix}`,
  ];
}

describe.each(TEST_DRIVERS)('cross-tenant isolation through every route (%s)', (driver) => {
  let t: TestApp;
  const tenants: Tenancy[] = [];

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    for (const name of ['Org A', 'Org B']) {
      const org = await seedOrg(t, name);
      const headers = withKey(org.liveKey);
      const customers = [];
      for (const n of [1, 2]) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/customers',
          headers,
          payload: { name: `${name} customer ${n}`, externalId: `shared-ext-${n}` },
        });
        expect(res.statusCode).toBe(201);
        customers.push(res.json<{ id: string; externalId: string }>());
      }
      const slug = `only_${name.slice(-1).toLowerCase()}`;
      const connector = await t.app.inject({
        method: 'POST',
        url: '/api/v1/connectors/import-definition',
        headers,
        payload: {
          weftConnector: 1,
          connector: {
            slug,
            name: slug,
            baseUrl: 'http://127.0.0.1:9',
            authMethods: [{ key: 'api_key', type: 'api_key', in: 'header', name: 'X-Key' }],
          },
          actions: [{ slug: 'ping', name: 'Ping', method: 'GET', path: '/ping' }],
          events: [{ name: 'thing.happened' }],
        },
      });
      expect(connector.statusCode, connector.body).toBe(201);
      const actions = await t.app.inject({
        method: 'GET',
        url: `/api/v1/connectors/${slug}/actions`,
        headers,
      });
      const events = await t.app.inject({
        method: 'GET',
        url: `/api/v1/connectors/${slug}/events`,
        headers,
      });
      const connection = await t.app.inject({
        method: 'POST',
        url: '/api/v1/connections',
        headers,
        payload: {
          connector: slug,
          customerId: customers[0]?.id,
          credentials: { apiKey: `secret-of-${slug}` },
        },
      });
      expect(connection.statusCode, connection.body).toBe(201);
      const orgId = org.organization.id;
      const connectionId = connection.json<{ id: string }>().id;
      const traceId = `trace-${slug}`;
      await t.database.db.tenant({ orgId }, (sql) =>
        sql.query(
          `INSERT INTO trace_spans (org_id, trace_id, connection_id, kind, name, method, url, status, duration_ms, started_at)
           VALUES ($1, $2, $3, 'action', 'ping', 'GET', 'http://127.0.0.1:9/ping', 200, 1, now())`,
          [orgId, traceId, connectionId],
        ),
      );
      const spec = await t.app.inject({
        method: 'POST',
        url: '/api/v1/specs',
        headers,
        payload: { text: `{"openapi":"3.0.0","info":{"title":"${slug}","version":"1"}}` },
      });
      expect(spec.statusCode, spec.body).toBe(201);
      const secret = { name: `ONLY_${name.slice(-1)}`, value: `secret-value-of-${slug}` };
      const put = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/secrets/${secret.name}`,
        headers,
        payload: { value: secret.value },
      });
      expect(put.statusCode, put.body).toBe(201);
      const flow = `flow_${name.slice(-1).toLowerCase()}`;
      const workflow = await t.app.inject({
        method: 'POST',
        url: '/api/v1/workflows',
        headers,
        payload: {
          name: flow,
          slug: flow,
          source: 'export default async function () { return 1; }',
        },
      });
      expect(workflow.statusCode, workflow.body).toBe(201);
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/workflows/${flow}/publish`,
        headers,
        payload: { deployTo: ['production'] },
      });
      const ran = await t.app.inject({
        method: 'POST',
        url: `/api/v1/workflows/${flow}/run`,
        headers,
        payload: {},
      });
      expect(ran.statusCode, ran.body).toBe(200);
      const trigger = await t.app.inject({
        method: 'POST',
        url: '/api/v1/triggers',
        headers,
        payload: { type: 'webhook', name: `hook ${name}`, routes: [{ workflow: flow }] },
      });
      expect(trigger.statusCode, trigger.body).toBe(201);
      const triggerId = trigger.json<{ id: string }>().id;
      const received = await t.app.inject({
        method: 'POST',
        url: `/hooks/${triggerId}`,
        headers: { 'content-type': 'application/json' },
        payload: { from: name },
      });
      expect(received.statusCode, received.body).toBe(202);
      const agentRun = await t.app.inject({
        method: 'POST',
        url: '/api/v1/agent-runs',
        headers,
        payload: { kind: 'connector', input: { source: `https://${slug}.example.test/spec.json` } },
      });
      expect(agentRun.statusCode, agentRun.body).toBe(202);
      const session = await t.app.inject({
        method: 'POST',
        url: '/api/v1/assistant/sessions',
        headers,
      });
      expect(session.statusCode, session.body).toBe(201);
      const environment = `qa-${name.slice(-1).toLowerCase()}`;
      const env = await t.app.inject({
        method: 'POST',
        url: '/api/v1/environments',
        headers,
        payload: { name: environment },
      });
      expect(env.statusCode, env.body).toBe(201);
      const alertRule = await t.app.inject({
        method: 'POST',
        url: '/api/v1/alert-rules',
        headers,
        payload: { name: `errors ${name}`, condition: 'error_rate', threshold: 5 },
      });
      expect(alertRule.statusCode, alertRule.body).toBe(201);
      const widget = await t.app.inject({
        method: 'POST',
        url: '/api/v1/widgets',
        headers,
        payload: {
          slug: `widget-${name.slice(-1).toLowerCase()}`,
          name: `widget ${name}`,
          connectors: [{ connector: slug, workflows: [{ workflow: flow }] }],
        },
      });
      expect(widget.statusCode, widget.body).toBe(201);
      const embedToken = await t.app.inject({
        method: 'POST',
        url: '/api/v1/embed/tokens',
        headers,
        payload: { widget: widget.json<{ id: string }>().id, customerId: customers[0]?.id },
      });
      expect(embedToken.statusCode, embedToken.body).toBe(201);
      const invitation = await t.app.inject({
        method: 'POST',
        url: '/api/v1/people/invitations',
        headers,
        payload: { email: `invited@${slug}.test`, role: 'viewer' },
      });
      expect(invitation.statusCode, invitation.body).toBe(201);
      const role = `probe_${name.slice(-1).toLowerCase()}`;
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/roles',
        headers,
        payload: { slug: role, name: role, permissions: ['connectors:read'] },
      });
      expect(created.statusCode, created.body).toBe(201);
      const joining = await t.app.inject({
        method: 'POST',
        url: '/api/v1/people/invitations',
        headers,
        payload: { email: `joined@${slug}.test`, role: 'viewer' },
      });
      const joined = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/accept-invite',
        payload: {
          token: new URL(joining.json<{ link: string }>().link).hash.replace('#token=', ''),
          password: 'a long enough password',
        },
      });
      const sessions = await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/sessions',
        headers: { cookie: `weft_session=${joined.cookies[0]?.value}` },
      });
      expect(sessions.statusCode, sessions.body).toBe(200);
      // An MCP client's grant, as the token endpoint leaves it.
      const grantId = crypto.randomUUID();
      await t.database.db.owner(async (sql) => {
        await sql.query(
          `INSERT INTO mcp_oauth_clients (client_id, client_name, redirect_uris, metadata)
           VALUES ($1, 'probe', '[]', '{}')`,
          [`mcp_isolation_probe_${slug.replace(/\W/g, '_')}_client`],
        );
        await sql.query(
          `INSERT INTO mcp_oauth_tokens (org_id, token_hash, kind, grant_id, client_id, user_id,
             resource, expires_at)
           VALUES ($1, encode(sha256(convert_to($2, 'UTF8')), 'hex'), 'refresh', $2::uuid, $3, $4,
             'http://localhost/mcp', now() + interval '1 hour')`,
          [
            org.organization.id,
            grantId,
            `mcp_isolation_probe_${slug.replace(/\W/g, '_')}_client`,
            org.owner.id,
          ],
        );
      });
      tenants.push({
        sessionId: sessions.json<{ data: { id: string }[] }>().data[0]?.id ?? '',
        grantId,
        invitationId: invitation.json<{ id: string }>().id,
        role,
        widget: widget.json<{ id: string; slug: string }>(),
        embedTokenJti: embedToken.json<{ jti: string }>().jti,
        alertRuleId: alertRule.json<{ id: string }>().id,
        environment,
        triggerId,
        triggerEventId: received.json<{ eventId: string }>().eventId,
        workflow: { id: workflow.json<{ id: string }>().id, slug: flow },
        executionId: ran.json<{ executionId: string }>().executionId,
        secret,
        org,
        customers,
        keyIds: org.keys.map((k) => k.id),
        connector: { id: connector.json<{ id: string }>().id, slug },
        actionId: actions.json<{ data: { id: string }[] }>().data[0]?.id ?? '',
        eventId: events.json<{ data: { id: string }[] }>().data[0]?.id ?? '',
        connectionId,
        traceId,
        specId: spec.json<{ specId: string }>().specId,
        agentRunId: agentRun.json<{ runId: string }>().runId,
        assistantSessionId: session.json<{ sessionId: string }>().sessionId,
      });
    }
  });
  afterAll(() => t.close());

  it('the probe table covers every route that takes a path parameter', () => {
    const doc = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const withParams = Object.entries(doc.paths)
      .filter(([path]) => path.includes('{'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(withParams.sort()).toEqual(Object.keys(PROBES).sort());
  });

  for (const [route, probe] of Object.entries(PROBES)) {
    it(`${route} with another tenant's ids answers 404 and changes nothing`, async () => {
      const [method] = route.split(' ') as [string, string];
      for (const [self, other] of [
        [tenants[0], tenants[1]],
        [tenants[1], tenants[0]],
      ] as [Tenancy, Tenancy][]) {
        const { urls, payload, ownNamespace, public: isPublic } = probe(self, other);
        if (isPublic) continue;
        expect(urls.length).toBeGreaterThan(0);
        for (const url of urls) {
          for (const key of [self.org.testKey, self.org.liveKey]) {
            const request: InjectOptions = {
              method: method,
              url,
              headers: withKey(key),
              ...(payload !== undefined && { payload: payload as object }),
            };
            const res = await t.app.inject(request);
            if (ownNamespace) {
              expect([200, 201], `${route} ${url} ${res.body}`).toContain(res.statusCode);
              expect(res.body).not.toContain(other.secret.value);
              continue;
            }
            expect(res.statusCode, `${route} ${url} ${res.body}`).toBe(404);
            expect(res.json<{ error: { code: string } }>().error.code).toBe('not_found');
            // Nothing of the other tenant's beyond what the caller typed in the URL.
            for (const secret of [
              other.org.organization.name,
              other.connector.id,
              other.connector.slug,
              other.connectionId,
              other.actionId,
              other.eventId,
              other.traceId,
              other.workflow.id,
              other.executionId,
              other.triggerId,
              other.triggerEventId,
              other.agentRunId,
              other.assistantSessionId,
              other.alertRuleId,
              other.environment,
              other.widget.id,
              other.embedTokenJti,
            ]) {
              if (!url.includes(secret)) expect(res.body).not.toContain(secret);
            }
          }
          if (ownNamespace) {
            const removed = await t.app.inject({
              method: 'DELETE',
              url: ownNamespace.cleanup(url),
              headers: withKey(self.org.liveKey),
            });
            expect(removed.statusCode).toBe(204);
          }
        }
      }
      // The other tenant's resources are intact.
      for (const tenant of tenants) {
        const headers = withKey(tenant.org.liveKey);
        for (const c of tenant.customers) {
          const res = await t.app.inject({
            method: 'GET',
            url: `/api/v1/customers/${c.id}`,
            headers,
          });
          expect(res.statusCode).toBe(200);
          expect(res.json<{ name: string }>().name).not.toBe('hijacked');
        }
        const keys = await t.app.inject({ method: 'GET', url: '/api/v1/api-keys', headers });
        expect(
          keys
            .json<{ data: { revokedAt: string | null }[] }>()
            .data.every((k) => k.revokedAt === null),
        ).toBe(true);
        const connector = await t.app.inject({
          method: 'GET',
          url: `/api/v1/connectors/${tenant.connector.slug}`,
          headers,
        });
        expect(connector.json()).toMatchObject({
          name: tenant.connector.slug,
          actionCount: 1,
          eventCount: 1,
        });
        const connection = await t.app.inject({
          method: 'GET',
          url: `/api/v1/connections/${tenant.connectionId}`,
          headers,
        });
        expect(connection.statusCode).toBe(200);
        const app = await t.app.inject({
          method: 'GET',
          url: `/api/v1/connectors/${tenant.connector.slug}/oauth-app`,
          headers,
        });
        expect(app.statusCode).toBe(404);
        const secrets = await readSecretValues({
          db: t.database.db,
          keyring: t.keyring,
          orgId: tenant.org.organization.id,
        });
        expect(Object.fromEntries(secrets)).toEqual({ [tenant.secret.name]: tenant.secret.value });
      }
    });
  }

  it('list routes show only the caller’s rows, even when filtered by another tenant’s values', async () => {
    for (const [self, other] of [
      [tenants[0], tenants[1]],
      [tenants[1], tenants[0]],
    ] as [Tenancy, Tenancy][]) {
      const headers = withKey(self.org.testKey);
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v1/customers?limit=200',
        headers,
      });
      expect(
        list
          .json<{ data: { id: string }[] }>()
          .data.map((c) => c.id)
          .sort(),
      ).toEqual(self.customers.map((c) => c.id).sort());
      // Same external id in both orgs: each sees its own.
      const byExt = await t.app.inject({
        method: 'GET',
        url: '/api/v1/customers?externalId=shared-ext-1',
        headers,
      });
      expect(byExt.json<{ data: { id: string }[] }>().data.map((c) => c.id)).toEqual([
        self.customers[0]?.id,
      ]);
      const keys = await t.app.inject({
        method: 'GET',
        url: '/api/v1/api-keys?includeRevoked=true',
        headers,
      });
      const keyIds = keys.json<{ data: { id: string }[] }>().data.map((k) => k.id);
      expect(keyIds.some((id) => other.keyIds.includes(id))).toBe(false);
      expect(keyIds).toEqual(expect.arrayContaining(self.keyIds));
      const secrets = await t.app.inject({ method: 'GET', url: '/api/v1/secrets', headers });
      expect(secrets.json<{ data: { name: string }[] }>().data.map((s) => s.name)).toEqual([
        self.secret.name,
      ]);
      const audit = await t.app.inject({
        method: 'GET',
        url: '/api/v1/audit-log?limit=200',
        headers,
      });
      const resources = audit
        .json<{ data: { resourceId: string | null }[] }>()
        .data.map((e) => e.resourceId);
      expect(resources.length).toBeGreaterThan(0);
      expect(
        resources.some(
          (r) =>
            r !== null &&
            [
              ...other.keyIds,
              ...other.customers.map((c) => c.id),
              other.org.organization.id,
            ].includes(r),
        ),
      ).toBe(false);
    }
  });

  it('raw SQL as the application role with no tenant set reads nothing and cannot write', async () => {
    const orgA = tenants[0]?.org.organization.id ?? '';
    await t.database.db.owner(async (sql) => {
      await sql.exec(`BEGIN; SET LOCAL ROLE ${APP_ROLE};`);
      try {
        for (const table of await tenantTables(sql)) {
          expect(await sql.query(`SELECT * FROM ${table}`), table).toEqual([]);
        }
      } finally {
        await sql.exec('ROLLBACK');
      }
      await sql.exec(`BEGIN; SET LOCAL ROLE ${APP_ROLE};`);
      await expect(
        sql.query(`INSERT INTO customers (org_id, name) VALUES ($1, 'x')`, [orgA]),
      ).rejects.toThrow(/row-level security/);
      await sql.exec('ROLLBACK');
    });
  });
});
