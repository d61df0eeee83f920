// The audit log holds every write: each write route of the REST API (read from the app's route
// table) is called with valid input, in an order that gives it something to act on, and the
// audit rows each call added are counted against what that route is declared to record. A new
// write route fails this test until it is added below, either with the audit actions it records
// or, for a route that changes no configuration (a run, a preview), with the reason it records
// none and where its trace is kept instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../test/connections.ts';
import { TEST_DRIVERS } from '../../test/db.ts';
import { STRIPE_CUSTOMER } from '../cdm/samples.ts';
import { hashPassword } from '../modules/people/secrets.ts';

type Ctx = Record<string, string>;
interface Step {
  /** The route as the OpenAPI document names it. */
  route: string;
  request: (ctx: Ctx) => { url: string; payload?: unknown };
  /** The audit actions the call adds, in any order. */
  audits?: string[];
  /** Why the route records no audit entry (what it changes is kept elsewhere, or nothing). */
  unaudited?: string;
  /** Brings the resource into the state the route acts on (as the workers would). */
  prepare?: (h: ConnectionsHarness, ctx: Ctx) => Promise<void>;
  /** Keeps ids from the answer for later steps. */
  keep?: (body: Record<string, unknown>, ctx: Ctx) => void;
}

const SPEC = JSON.stringify({
  openapi: '3.0.0',
  info: { title: 'Imported', version: '1' },
  servers: [{ url: 'https://imported.example.test' }],
  paths: {
    '/items': { get: { operationId: 'listItems', responses: { '200': { description: 'ok' } } } },
  },
});

/** An interactive agent run paused at a handback, as a worker leaves it (no model runs here). */
async function waitingAtHandback(h: ConnectionsHarness, ctx: Ctx): Promise<void> {
  await h.t.database.db.owner((sql) =>
    sql.query(
      `UPDATE agent_runs SET status = 'waiting', pending_stage = 'plan', pending_summary = 'a plan'
        WHERE org_id = $1 AND id = $2`,
      [h.org.organization.id, ctx['run']],
    ),
  );
}

const PASSWORD = 'correct horse battery staple';

/** The one-time token of an invitation link (it travels in the fragment). */
function tokenOf(link: string): string {
  return new URL(link).hash.replace(/^#(token=)?/, '');
}

async function personId(h: ConnectionsHarness, email: string): Promise<string> {
  const people = await h.call<{ data: { id: string; email: string }[] }>({
    method: 'GET',
    url: '/api/v1/people',
  });
  return people.body.data.find((p) => p.email === email)?.id ?? '';
}

/** A session of `email` (signed in with PASSWORD): its cookie and CSRF token as headers. */
async function sessionHeaders(
  h: ConnectionsHarness,
  email: string,
): Promise<Record<string, string>> {
  const res = await h.t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    payload: { email, password: PASSWORD, orgId: h.org.organization.id },
  });
  const cookie = res.cookies.find((k) => k.name === 'weft_session');
  return {
    cookie: `weft_session=${cookie?.value}`,
    'x-weft-csrf': res.json<{ csrfToken: string }>().csrfToken,
  };
}

const STEPS: Step[] = [
  {
    route: 'POST /api/v1/customers',
    request: () => ({ url: '/api/v1/customers', payload: { name: 'Acme' } }),
    audits: ['customer.create'],
    keep: (b, c) => (c['customer'] = String(b['id'])),
  },
  {
    route: 'PATCH /api/v1/customers/{id}',
    request: (c) => ({ url: `/api/v1/customers/${c['customer']}`, payload: { name: 'Acme Inc' } }),
    audits: ['customer.update'],
  },
  {
    route: 'POST /api/v1/specs',
    request: () => ({ url: '/api/v1/specs', payload: { text: SPEC } }),
    audits: ['spec.create'],
    keep: (b, c) => (c['spec'] = String(b['specId'])),
  },
  {
    route: 'POST /api/v1/connectors/import',
    request: (c) => ({ url: '/api/v1/connectors/import', payload: { specId: c['spec'] } }),
    audits: ['connector.import'],
  },
  {
    route: 'POST /api/v1/connectors',
    request: (c) => ({
      url: '/api/v1/connectors',
      payload: {
        slug: 'fixture',
        name: 'Fixture',
        baseUrl: c['api'],
        authMethods: [{ key: 'k', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
      },
    }),
    audits: ['connector.create'],
  },
  {
    route: 'POST /api/v1/connectors/import-definition',
    request: (c) => ({
      url: '/api/v1/connectors/import-definition',
      payload: {
        weftConnector: 1,
        connector: {
          slug: 'stripe_like',
          name: 'Stripe-like',
          baseUrl: c['api'],
          authMethods: [{ key: 'k', type: 'api_key', in: 'header', name: 'X-Api-Key' }],
        },
        actions: [
          {
            slug: 'getCustomer',
            name: 'Get a customer',
            method: 'GET',
            path: '/customers/{id}',
            parameters: [{ name: 'id', in: 'path', required: true }],
            cdmEntity: 'Contact',
            outputSchema: {
              type: 'object',
              properties: { id: { type: 'string' }, email: { type: 'string' } },
            },
          },
        ],
      },
    }),
    audits: ['connector.import'],
  },
  {
    route: 'PATCH /api/v1/connectors/{connector}',
    request: () => ({ url: '/api/v1/connectors/fixture', payload: { name: 'Fixture API' } }),
    audits: ['connector.update'],
  },
  {
    route: 'POST /api/v1/connectors/{connector}/actions',
    request: () => ({
      url: '/api/v1/connectors/fixture/actions',
      payload: {
        slug: 'reflect',
        name: 'Reflect',
        method: 'GET',
        path: '/reflect',
        parameters: [{ name: 'as', in: 'query', required: true }],
      },
    }),
    audits: ['connector.action.put'],
    keep: (b, c) => (c['action'] = String(b['id'])),
  },
  {
    route: 'POST /api/v1/connectors/{connector}/events',
    request: () => ({
      url: '/api/v1/connectors/fixture/events',
      payload: { name: 'item.created' },
    }),
    audits: ['connector.event.put'],
    keep: (b, c) => (c['event'] = String(b['id'])),
  },
  {
    route: 'DELETE /api/v1/connectors/{connector}/events/{event}',
    request: (c) => ({ url: `/api/v1/connectors/fixture/events/${c['event']}` }),
    audits: ['connector.event.delete'],
  },
  {
    route: 'PUT /api/v1/connectors/{connector}/oauth-app',
    request: () => ({
      url: '/api/v1/connectors/fixture/oauth-app',
      payload: { clientId: 'weft-app', clientSecret: 'weft-app-secret' },
    }),
    audits: ['oauth_app.put'],
  },
  {
    route: 'POST /api/v1/connections',
    request: (c) => ({
      url: '/api/v1/connections',
      payload: {
        connector: 'fixture',
        credentials: { apiKey: 'key-123' },
        customerId: c['customer'],
      },
    }),
    audits: ['connection.create'],
    keep: (b, c) => (c['connection'] = String(b['id'])),
  },
  {
    route: 'POST /api/v1/connections/{id}/test',
    request: (c) => ({ url: `/api/v1/connections/${c['connection']}/test`, payload: {} }),
    unaudited: 'a test call changes nothing; its outbound request is a trace span',
  },
  {
    route: 'POST /api/v1/connections/{id}/actions/{action}',
    request: (c) => ({
      url: `/api/v1/connections/${c['connection']}/actions/reflect`,
      payload: { input: { as: 'plain' } },
    }),
    unaudited: 'an action call is a use, not a change: it is a trace span and counts as usage',
  },
  {
    route: 'POST /api/v1/connections/{id}/proxy',
    request: (c) => ({
      url: `/api/v1/connections/${c['connection']}/proxy`,
      payload: { method: 'GET', path: '/reflect?as=plain' },
    }),
    unaudited: 'a proxied request is a use, not a change: it is a trace span',
  },
  {
    route: 'POST /api/v1/cdm/custom-fields',
    request: () => ({
      url: '/api/v1/cdm/custom-fields',
      payload: { entity: 'Contact', field: { name: 'loyaltyTier', type: 'string' } },
    }),
    audits: ['cdm.custom_field.create'],
  },
  {
    route: 'POST /api/v1/cdm/suggest',
    request: () => ({
      url: '/api/v1/cdm/suggest',
      payload: { connector: 'stripe_like', action: 'getCustomer' },
    }),
    unaudited: 'a suggestion is computed and returned; nothing is stored',
  },
  {
    route: 'POST /api/v1/cdm/mappings',
    request: () => ({
      url: '/api/v1/cdm/mappings',
      payload: {
        connector: 'stripe_like',
        entity: 'Contact',
        direction: 'to_canonical',
        fields: { email: 'email' },
      },
    }),
    audits: ['cdm.mapping.save'],
  },
  {
    route: 'POST /api/v1/cdm/overrides',
    request: (c) => ({
      url: '/api/v1/cdm/overrides',
      payload: {
        connector: 'stripe_like',
        entity: 'Contact',
        direction: 'to_canonical',
        customerId: c['customer'],
        fields: { jobTitle: '"Founder"' },
      },
    }),
    audits: ['cdm.mapping.override'],
  },
  {
    route: 'POST /api/v1/cdm/preview',
    request: () => ({
      url: '/api/v1/cdm/preview',
      payload: {
        connector: 'stripe_like',
        entity: 'Contact',
        direction: 'to_canonical',
        record: STRIPE_CUSTOMER,
      },
    }),
    unaudited: 'a preview maps a record given in the request; nothing is stored',
  },
  {
    route: 'POST /api/v1/cdm/apply',
    request: () => ({
      url: '/api/v1/cdm/apply',
      payload: {
        connector: 'stripe_like',
        entity: 'Contact',
        direction: 'to_canonical',
        records: [STRIPE_CUSTOMER],
      },
    }),
    unaudited: 'applying a mapping transforms records given in the request; nothing is stored',
  },
  {
    route: 'POST /api/v1/api-keys',
    request: () => ({ url: '/api/v1/api-keys', payload: { name: 'ci', kind: 'test' } }),
    audits: ['api_key.create'],
    keep: (b, c) => (c['apiKey'] = String(b['id'])),
  },
  {
    route: 'POST /api/v1/api-keys/{id}/revoke',
    request: (c) => ({ url: `/api/v1/api-keys/${c['apiKey']}/revoke`, payload: {} }),
    audits: ['api_key.revoke'],
  },
  {
    route: 'PUT /api/v1/audit-log/retention',
    request: () => ({ url: '/api/v1/audit-log/retention', payload: { days: 400 } }),
    audits: ['audit.retention.set'],
  },
  {
    route: 'POST /api/v1/environments',
    request: () => ({ url: '/api/v1/environments', payload: { name: 'qa' } }),
    audits: ['environment.create'],
  },
  {
    route: 'POST /api/v1/alert-rules',
    request: () => ({
      url: '/api/v1/alert-rules',
      payload: { name: 'errors', condition: 'error_rate', threshold: 5 },
    }),
    audits: ['alert_rule.create'],
    keep: (b, c) => (c['rule'] = String(b['id'])),
  },
  {
    route: 'PATCH /api/v1/alert-rules/{id}',
    request: (c) => ({ url: `/api/v1/alert-rules/${c['rule']}`, payload: { threshold: 10 } }),
    audits: ['alert_rule.update'],
  },
  {
    route: 'DELETE /api/v1/alert-rules/{id}',
    request: (c) => ({ url: `/api/v1/alert-rules/${c['rule']}` }),
    audits: ['alert_rule.delete'],
  },
  {
    route: 'PUT /api/v1/customers/{customerId}/quotas',
    request: (c) => ({
      url: `/api/v1/customers/${c['customer']}/quotas`,
      payload: { executions: 1000 },
    }),
    audits: ['customer.quotas.set'],
  },
  {
    route: 'PUT /api/v1/secrets/{name}',
    request: () => ({ url: '/api/v1/secrets/STRIPE_KEY', payload: { value: 'sk-test' } }),
    audits: ['secret.create'],
  },
  {
    route: 'DELETE /api/v1/secrets/{name}',
    request: () => ({ url: '/api/v1/secrets/STRIPE_KEY' }),
    audits: ['secret.delete'],
  },
  {
    route: 'POST /api/v1/workflows',
    request: () => ({
      url: '/api/v1/workflows',
      payload: {
        name: 'echo',
        slug: 'echo',
        source: 'export default async function (ctx) { return ctx.input; }',
      },
    }),
    audits: ['workflow.create'],
  },
  {
    route: 'PATCH /api/v1/workflows/{id}',
    request: () => ({ url: '/api/v1/workflows/echo', payload: { description: 'echoes' } }),
    audits: ['workflow.update'],
  },
  {
    route: 'POST /api/v1/workflows/{id}/publish',
    request: () => ({
      url: '/api/v1/workflows/echo/publish',
      payload: { deployTo: ['production'] },
    }),
    audits: ['workflow.publish'],
  },
  {
    route: 'POST /api/v1/workflows/{id}/deploy',
    request: () => ({
      url: '/api/v1/workflows/echo/deploy',
      payload: { environment: 'qa', version: 1 },
    }),
    audits: ['workflow.deploy'],
  },
  {
    route: 'POST /api/v1/workflows/{id}/run',
    request: () => ({ url: '/api/v1/workflows/echo/run', payload: { input: { n: 1 } } }),
    unaudited: 'a run is an execution: the execution log records who started it, with what',
    keep: (b, c) => (c['execution'] = String(b['executionId'])),
  },
  {
    route: 'POST /api/v1/executions/{id}/rerun',
    request: (c) => ({ url: `/api/v1/executions/${c['execution']}/rerun`, payload: {} }),
    unaudited: 'a rerun is an execution too, linked to the one it reruns (rerunOf)',
  },
  {
    route: 'PUT /api/v1/customers/{customerId}/gateway',
    request: (c) => ({
      url: `/api/v1/customers/${c['customer']}/gateway`,
      payload: { workflows: ['echo'] },
    }),
    audits: ['gateway.offer.set'],
  },
  {
    route: 'POST /api/v1/triggers',
    request: () => ({
      url: '/api/v1/triggers',
      payload: { type: 'webhook', name: 'inbound', routes: [{ workflow: 'echo' }] },
    }),
    audits: ['trigger.create'],
    keep: (b, c) => (c['trigger'] = String(b['id'])),
  },
  {
    route: 'POST /api/v1/triggers/schedule-preview',
    request: () => ({
      url: '/api/v1/triggers/schedule-preview',
      payload: { schedule: { preset: 'weekly', days: ['mon'], time: '09:00' }, count: 2 },
    }),
    unaudited: 'a preview computes the next run times; nothing is stored',
  },
  {
    route: 'PATCH /api/v1/triggers/{id}',
    request: (c) => ({ url: `/api/v1/triggers/${c['trigger']}`, payload: { name: 'inbound 2' } }),
    audits: ['trigger.update'],
  },
  {
    route: 'POST /hooks/{id}',
    request: (c) => ({ url: `/hooks/${c['trigger']}`, payload: { hello: 'world' } }),
    unaudited: 'a delivered event is not a change by a user: it is kept as a trigger event',
    keep: (b, c) => (c['triggerEvent'] = String(b['eventId'])),
  },
  {
    route: 'POST /api/v1/events/{id}/replay',
    request: (c) => ({ url: `/api/v1/events/${c['triggerEvent']}/replay`, payload: {} }),
    unaudited: 'a replay routes a stored event again; its runs are executions',
  },
  {
    route: 'POST /api/v1/agent-runs',
    request: () => ({
      url: '/api/v1/agent-runs',
      payload: {
        kind: 'connector',
        interactive: true,
        input: { source: 'https://example.test/spec.json' },
      },
    }),
    audits: ['agent_run.start'],
    keep: (b, c) => (c['run'] = String(b['runId'])),
  },
  {
    route: 'POST /api/v1/agent-runs/{runId}/approve',
    prepare: waitingAtHandback,
    request: (c) => ({ url: `/api/v1/agent-runs/${c['run']}/approve`, payload: {} }),
    audits: ['agent_run.approve'],
  },
  {
    route: 'POST /api/v1/agent-runs/{runId}/revise',
    prepare: waitingAtHandback,
    request: (c) => ({ url: `/api/v1/agent-runs/${c['run']}/revise`, payload: { note: 'more' } }),
    audits: ['agent_run.revise'],
  },
  {
    route: 'POST /api/v1/agent-runs/{runId}/cancel',
    request: (c) => ({ url: `/api/v1/agent-runs/${c['run']}/cancel`, payload: {} }),
    audits: ['agent_run.cancel'],
  },
  {
    route: 'POST /api/v1/assistant/sessions',
    request: () => ({ url: '/api/v1/assistant/sessions', payload: {} }),
    audits: ['assistant_session.create'],
    keep: (b, c) => (c['session'] = String(b['sessionId'])),
  },
  {
    route: 'POST /api/v1/assistant/sessions/{sessionId}/messages',
    request: (c) => ({
      url: `/api/v1/assistant/sessions/${c['session']}/messages`,
      payload: { text: 'hello' },
    }),
    unaudited: "a message is part of the session's own numbered event log",
  },
  {
    route: 'POST /api/v1/people/invitations',
    request: () => ({
      url: '/api/v1/people/invitations',
      payload: { email: 'ada@audit.test', role: 'admin' },
    }),
    audits: ['person.invite'],
    keep: (b, c) => (c['inviteToken'] = tokenOf(String(b['link']))),
  },
  {
    route: 'POST /api/v1/auth/accept-invite',
    request: (c) => ({
      url: '/api/v1/auth/accept-invite',
      payload: { token: c['inviteToken'], password: PASSWORD, name: 'Ada' },
    }),
    audits: ['person.join'],
  },
  {
    route: 'POST /api/v1/auth/sign-in',
    request: () => ({
      url: '/api/v1/auth/sign-in',
      payload: { email: 'ada@audit.test', password: PASSWORD },
    }),
    unaudited: 'a session is not a change to the org; sessions are kept with their expiry',
  },
  {
    route: 'POST /api/v1/auth/sign-out',
    request: () => ({ url: '/api/v1/auth/sign-out' }),
    unaudited: 'ending a session changes nothing of the org',
  },
  {
    route: 'DELETE /api/v1/people/invitations/{id}',
    prepare: async (h, c) => {
      const res = await h.call<{ id: string }>({
        method: 'POST',
        url: '/api/v1/people/invitations',
        payload: { email: 'cy@audit.test', role: 'viewer' },
      });
      c['invitation'] = res.body.id;
    },
    request: (c) => ({ url: `/api/v1/people/invitations/${c['invitation']}` }),
    audits: ['invitation.revoke'],
  },
  {
    route: 'PATCH /api/v1/people/{id}',
    prepare: async (h, c) => {
      c['ada'] = await personId(h, 'ada@audit.test');
    },
    request: (c) => ({ url: `/api/v1/people/${c['ada']}`, payload: { role: 'developer' } }),
    audits: ['person.change_role'],
  },
  {
    route: 'DELETE /api/v1/people/{id}',
    prepare: async (h, c) => {
      const invited = await h.call<{ link: string }>({
        method: 'POST',
        url: '/api/v1/people/invitations',
        payload: { email: 'bob@audit.test', role: 'viewer' },
      });
      await h.call({
        method: 'POST',
        url: '/api/v1/auth/accept-invite',
        payload: { token: tokenOf(invited.body.link), password: PASSWORD },
      });
      c['bob'] = await personId(h, 'bob@audit.test');
    },
    request: (c) => ({ url: `/api/v1/people/${c['bob']}` }),
    audits: ['person.remove'],
  },
  {
    route: 'POST /api/v1/roles',
    request: () => ({
      url: '/api/v1/roles',
      payload: { slug: 'support', name: 'Support', permissions: ['workflows:read'] },
    }),
    audits: ['role.create'],
  },
  {
    route: 'POST /api/v1/roles/{slug}/duplicate',
    request: () => ({
      url: '/api/v1/roles/support/duplicate',
      payload: { slug: 'support_copy', name: 'Support copy' },
    }),
    audits: ['role.create'],
  },
  {
    route: 'PATCH /api/v1/roles/{slug}',
    request: () => ({ url: '/api/v1/roles/support', payload: { name: 'Support desk' } }),
    audits: ['role.update'],
  },
  {
    route: 'DELETE /api/v1/roles/{slug}',
    request: () => ({ url: '/api/v1/roles/support_copy' }),
    audits: ['role.delete'],
  },
  {
    route: 'POST /api/v1/widgets',
    request: () => ({
      url: '/api/v1/widgets',
      payload: {
        slug: 'portal',
        name: 'Portal',
        connectors: [{ connector: 'fixture' }],
        allowedOrigins: ['https://app.example.com'],
      },
    }),
    audits: ['widget.create'],
  },
  {
    route: 'PATCH /api/v1/widgets/{widget}',
    request: () => ({ url: '/api/v1/widgets/portal', payload: { name: 'Customer portal' } }),
    audits: ['widget.update'],
  },
  {
    route: 'POST /api/v1/embed/tokens',
    request: (c) => ({
      url: '/api/v1/embed/tokens',
      payload: { widget: 'portal', customerId: c['customer'] },
    }),
    audits: ['embed_token.create'],
    keep: (b, c) => (c['jti'] = String(b['jti'])),
  },
  {
    route: 'DELETE /api/v1/embed/tokens/{jti}',
    request: (c) => ({ url: `/api/v1/embed/tokens/${c['jti']}` }),
    audits: ['embed_token.revoke'],
  },
  {
    route: 'DELETE /api/v1/widgets/{widget}',
    request: () => ({ url: '/api/v1/widgets/portal' }),
    audits: ['widget.delete'],
  },
  // Deletions last, so every earlier step had its resource.
  {
    route: 'DELETE /api/v1/triggers/{id}',
    request: (c) => ({ url: `/api/v1/triggers/${c['trigger']}` }),
    audits: ['trigger.delete'],
  },
  {
    route: 'DELETE /api/v1/environments/{name}',
    request: () => ({ url: '/api/v1/environments/qa' }),
    audits: ['environment.delete'],
  },
  {
    route: 'DELETE /api/v1/workflows/{id}',
    request: () => ({ url: '/api/v1/workflows/echo' }),
    audits: ['workflow.delete'],
  },
  {
    route: 'DELETE /api/v1/connections/{id}',
    request: (c) => ({ url: `/api/v1/connections/${c['connection']}` }),
    audits: ['connection.delete'],
  },
  {
    route: 'DELETE /api/v1/connectors/{connector}/actions/{action}',
    request: (c) => ({ url: `/api/v1/connectors/fixture/actions/${c['action']}` }),
    audits: ['connector.action.delete'],
  },
  {
    route: 'DELETE /api/v1/connectors/{connector}',
    request: () => ({ url: '/api/v1/connectors/fixture' }),
    audits: ['connector.delete'],
  },
  {
    route: 'DELETE /api/v1/customers/{id}',
    request: (c) => ({ url: `/api/v1/customers/${c['customer']}` }),
    audits: ['customer.delete'],
  },
  {
    route: 'POST /api/v1/auth/password',
    // The key's person (the owner) chose a password once, by a link.
    prepare: async (h) => {
      const hash = await hashPassword('the first password');
      await h.t.database.db.owner((sql) =>
        sql.query('UPDATE users SET password_hash = $2 WHERE org_id = $1 AND id = $3', [
          h.org.organization.id,
          hash,
          h.org.owner.id,
        ]),
      );
    },
    request: () => ({
      url: '/api/v1/auth/password',
      payload: { currentPassword: 'the first password', newPassword: PASSWORD },
    }),
    audits: ['person.change_password'],
  },
  {
    route: 'DELETE /api/v1/auth/sessions/{id}',
    prepare: async (h, c) => {
      await sessionHeaders(h, h.org.owner.email);
      const listed = await h.call<{ data: { id: string }[] }>({
        method: 'GET',
        url: '/api/v1/auth/sessions',
      });
      c['ownSession'] = listed.body.data[0]?.id ?? '';
    },
    request: (c) => ({ url: `/api/v1/auth/sessions/${c['ownSession']}` }),
    audits: ['session.end'],
  },
  {
    route: 'DELETE /api/v1/auth/sessions',
    prepare: async (h) => {
      await sessionHeaders(h, h.org.owner.email);
    },
    request: () => ({ url: '/api/v1/auth/sessions' }),
    audits: ['session.end_others'],
  },
  {
    route: 'DELETE /api/v1/auth/mcp-clients/{id}',
    // A grant as the token endpoint leaves it: a registered client, an access and a refresh token.
    prepare: async (h, c) => {
      c['grant'] = crypto.randomUUID();
      const expires = new Date(Date.now() + 3600_000);
      await h.t.database.db.owner(async (sql) => {
        await sql.query(
          `INSERT INTO mcp_oauth_clients (client_id, client_name, redirect_uris, metadata)
           VALUES ('mcp_audited_writes_client_0001', 'Audited', '[]', '{}')`,
        );
        for (const kind of ['access', 'refresh']) {
          await sql.query(
            `INSERT INTO mcp_oauth_tokens (org_id, token_hash, kind, grant_id, client_id, user_id,
               resource, expires_at)
             VALUES ($1, encode(sha256(convert_to($2, 'UTF8')), 'hex'), $3, $4,
               'mcp_audited_writes_client_0001', $5, 'http://localhost/mcp', $6)`,
            [
              h.org.organization.id,
              `${c['grant']}${kind}`,
              kind,
              c['grant'],
              h.org.owner.id,
              expires,
            ],
          );
        }
      });
    },
    request: (c) => ({ url: `/api/v1/auth/mcp-clients/${c['grant']}` }),
    audits: ['mcp_oauth.revoke'],
  },
  // Last: the caller stops being the owner.
  {
    route: 'POST /api/v1/people/transfer-ownership',
    request: (c) => ({ url: '/api/v1/people/transfer-ownership', payload: { userId: c['ada'] } }),
    audits: ['organization.transfer_ownership'],
  },
  // Really last: the org goes, its audit log with it.
  {
    route: 'DELETE /api/v1/organization',
    // The new owner hands ownership back to the key's person, who deletes the org.
    prepare: async (h) => {
      const res = await h.t.app.inject({
        method: 'POST',
        url: '/api/v1/people/transfer-ownership',
        headers: await sessionHeaders(h, 'ada@audit.test'),
        payload: { userId: h.org.owner.id },
      });
      if (res.statusCode !== 200) throw new Error(`transfer back: ${res.body}`);
    },
    request: (c) => ({ url: '/api/v1/organization', payload: { name: c['orgName'] } }),
    unaudited:
      'the audit log is deleted with the org: the deletion is logged to the server log before',
  },
];

const WRITE_METHODS = ['post', 'put', 'patch', 'delete'];

describe.each(TEST_DRIVERS)('every write route is audited (%s)', (driver) => {
  let h: ConnectionsHarness;
  const ctx: Ctx = {};

  /** The org's audit rows, read as the owner (the test database's owner is not bound by RLS). */
  const auditRows = () =>
    h.t.database.db.owner((sql) =>
      sql.query<{ id: string; action: string; request_id: string | null }>(
        'SELECT id, action, request_id FROM audit_log WHERE org_id = $1',
        [h.org.organization.id],
      ),
    );

  beforeAll(async () => {
    h = await startConnectionsHarness(driver);
    ctx['api'] = h.fx.api.url;
    ctx['orgName'] = h.org.organization.name;
  }, 60_000);
  afterAll(() => h.close());

  it('the table names every write route of the API, each audited or with a reason', () => {
    const doc = h.t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const writes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => WRITE_METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    const listed = STEPS.map((s) => s.route);
    const missing = writes.filter((r) => !listed.includes(r));
    expect(
      missing,
      'write routes missing from STEPS: add each with the audit actions it records',
    ).toEqual([]);
    expect(listed.filter((r) => !writes.includes(r))).toEqual([]);
    expect(new Set(listed).size).toBe(listed.length);
    for (const step of STEPS) {
      expect(
        (step.audits?.length ?? 0) > 0 !== (step.unaudited !== undefined),
        `${step.route}: give audits, or unaudited with a reason`,
      ).toBe(true);
    }
  });

  it('each write adds exactly the audit entries it declares, carrying its request id', async () => {
    const problems: string[] = [];
    for (const step of STEPS) {
      await step.prepare?.(h, ctx);
      const before = new Set((await auditRows()).map((r) => r.id));
      const { url, payload } = step.request(ctx);
      const method = step.route.split(' ')[0] as 'POST';
      const res = await h.t.app.inject({
        method,
        url,
        headers: {
          'x-fastn-api-key': h.org.liveKey,
          ...(payload !== undefined && { 'content-type': 'application/json' }),
        },
        ...(payload !== undefined && { payload: payload as object }),
      });
      if (res.statusCode >= 400) {
        problems.push(`${step.route}: ${res.statusCode} ${res.body.slice(0, 300)}`);
        continue;
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (step.keep && contentType.includes('application/json')) {
        step.keep(res.json<Record<string, unknown>>(), ctx);
      }
      const added = (await auditRows()).filter((r) => !before.has(r.id));
      const actions = added.map((r) => r.action).sort();
      const expected = [...(step.audits ?? [])].sort();
      if (JSON.stringify(actions) !== JSON.stringify(expected)) {
        problems.push(
          `${step.route}: recorded [${actions.join(', ')}], declared [${expected.join(', ')}]`,
        );
      }
      const requestId = String(res.headers['x-request-id']);
      for (const row of added) {
        if (row.request_id !== requestId) {
          problems.push(
            `${step.route}: ${row.action} carries request ${row.request_id}, not ${requestId}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
