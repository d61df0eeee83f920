import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Fastify, { type HTTPMethods, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, seedUserKey, withKey, type TestApp } from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';
import { ADMIN_TOOLS } from '../../tools/index.ts';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, type SystemRole } from '../domain/tenant.ts';
import { enforceDeclaredPermissions } from './permissions.ts';

type CallResult = { isError?: boolean; content: { type: string; text?: string }[] };
type ErrorBody = { error: { code: string; message: string; details?: { permission?: string } } };

interface Endpoint {
  method: HTTPMethods;
  url: string;
  permission: string | undefined;
  reason: string | undefined;
}

/** A concrete URL for a route pattern: ids and names that exist nowhere. */
function concrete(url: string): string {
  return url.replace(/:[A-Za-z]+/g, () => randomUUID()).replace(/\*$/, 'x');
}

function holds(role: SystemRole, permission: string): boolean {
  return (ROLE_PERMISSIONS[role] as readonly string[]).includes(permission);
}

/** The matrix as decided, written out here independently of the table in tenant.ts. */
const READS = [
  'connectors:read',
  'connections:read',
  'workflows:read',
  'agents:read',
  'tools:read',
];
const EXECUTES = [
  'connectors:execute',
  'connections:execute',
  'workflows:execute',
  'agents:execute',
  'tools:execute',
];
const EXPECTED: Record<SystemRole, readonly string[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS,
  developer: PERMISSIONS.filter(
    (p) =>
      ![
        'people:read',
        'people:write',
        'settings:read',
        'settings:write',
        'api_keys:write',
      ].includes(p),
  ),
  operator: [
    ...READS,
    ...EXECUTES,
    'workflows:deploy_test',
    'workflows:deploy_prod',
    'connections:create',
    'connections:update',
    'customers:read',
    'customers:write',
    'secrets:read',
    'api_keys:read',
  ],
  viewer: [...READS, 'customers:read', 'settings:read'],
  end_user: [
    'connectors:read',
    'connections:create',
    'connections:read',
    'connections:update',
    'connections:delete',
    'connections:execute',
    'workflows:read',
    'workflows:update',
    'tools:read',
  ],
};

describe('the permission matrix', () => {
  it('has 39 permissions: six per connector and connection, seven per workflow, five per agent and tool, ten for the platform', () => {
    expect(new Set(PERMISSIONS).size).toBe(39);
    const per = (prefix: string) => PERMISSIONS.filter((p) => p.startsWith(`${prefix}:`)).length;
    expect(
      ['connectors', 'connections', 'workflows', 'agents', 'tools'].map((c) => per(c)),
    ).toEqual([6, 6, 7, 5, 5]);
    expect(['customers', 'api_keys', 'secrets', 'people', 'settings'].map((c) => per(c))).toEqual([
      2, 2, 2, 2, 2,
    ]);
  });

  it('gives each system role exactly its permissions: owner 39, admin 39, developer 34, operator 18, viewer 7, end user 9', () => {
    expect(ROLES).toEqual(['owner', 'admin', 'developer', 'operator', 'viewer', 'end_user']);
    const counts = Object.fromEntries(ROLES.map((r) => [r, new Set(ROLE_PERMISSIONS[r]).size]));
    expect(counts).toEqual({
      owner: 39,
      admin: 39,
      developer: 34,
      operator: 18,
      viewer: 7,
      end_user: 9,
    });
    for (const role of ROLES) {
      expect([...ROLE_PERMISSIONS[role]].sort(), role).toEqual([...EXPECTED[role]].sort());
    }
  });
});

describe('routes must declare a permission', () => {
  it('a route that declares none cannot be registered', () => {
    const app = Fastify();
    enforceDeclaredPermissions(app);
    expect(() => app.get('/forgotten', () => 'ok')).toThrow(
      /GET \/forgotten declares no permission/,
    );
  });

  it('a public route without a reason cannot be registered', () => {
    const app = Fastify();
    enforceDeclaredPermissions(app);
    expect(() => app.get('/open', { config: { permission: 'public' } }, () => 'ok')).toThrow(
      /is public but gives no reason/,
    );
  });
});

/**
 * Generated from every route of the real app (collected as fastify registers them) and every admin
 * tool, for every role: a key whose role lacks the declared permission is refused with 403 (tools:
 * `forbidden`) naming it, a key whose role holds it is not refused.
 */
describe.each(TEST_DRIVERS)(
  'declared permissions, every route and tool × every role (%s)',
  (driver) => {
    const routes: RouteOptions[] = [];
    let t: TestApp;
    let url: string;
    const keys = {} as Record<SystemRole, string>;
    const clients = {} as Record<SystemRole, Client>;
    let endpoints: Endpoint[];
    let viewerSession: { cookie: string; csrf: string };

    beforeAll(async () => {
      t = await createTestApp(driver, {
        env: { WEFT_RATE_LIMIT_PER_MINUTE: '1000000' },
        onRoute: (route) => routes.push(route),
      });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const org = await seedOrg(t, 'Roles');
      for (const role of ROLES) {
        keys[role] = await seedUserKey(t, org, role, 'live');
        const client = new Client({ name: `${role}-agent`, version: '1' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin`), {
            requestInit: { headers: { 'x-fastn-api-key': keys[role] } },
          }),
        );
        clients[role] = client;
      }
      // A viewer who signed in with a password: the session cookie is held to the same matrix.
      const invited = await t.app.inject({
        method: 'POST',
        url: '/api/v1/people/invitations',
        headers: withKey(keys.owner),
        payload: { email: 'viewer-person@roles.test', role: 'viewer' },
      });
      const token = new URL(invited.json<{ link: string }>().link).hash.replace('#token=', '');
      const accepted = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/accept-invite',
        payload: { token, password: 'a long enough password' },
      });
      const cookie = accepted.cookies.find((c) => c.name === 'weft_session');
      if (!cookie) throw new Error(`no session cookie: ${accepted.body}`);
      viewerSession = {
        cookie: `weft_session=${cookie.value}`,
        csrf: accepted.json<{ csrfToken: string }>().csrfToken,
      };
      endpoints = routes.flatMap((route) =>
        (Array.isArray(route.method) ? route.method : [route.method]).map((method) => ({
          method,
          url: route.url,
          permission: route.config?.permission,
          reason: route.config?.reason,
        })),
      );
    });
    afterAll(async () => {
      for (const client of Object.values(clients)) await client.close();
      await t.close();
    });

    const send = (endpoint: Endpoint, key: string | undefined) =>
      t.app.inject({
        method: endpoint.method,
        url: concrete(endpoint.url),
        headers: key === undefined ? {} : withKey(key),
        ...(['POST', 'PUT', 'PATCH'].includes(endpoint.method) && { payload: {} }),
      });

    it('sees every route, and each declares a known permission, or public / any_key with a reason', () => {
      expect(endpoints.length).toBeGreaterThan(80);
      expect(endpoints.map((e) => `${e.method} ${e.url}`)).toEqual(
        expect.arrayContaining([
          'POST /api/v1/workflows/:id/run',
          'POST /hooks/:id',
          'GET /health',
        ]),
      );
      for (const e of endpoints) {
        const name = `${e.method} ${e.url}`;
        expect.soft(e.permission, name).toBeDefined();
        if (e.permission === 'public' || e.permission === 'any_key') {
          expect.soft(e.reason, name).toMatch(/\w/);
        } else {
          expect.soft(PERMISSIONS, name).toContain(e.permission);
        }
      }
    });

    it('public routes answer without a key; the others ask for one (401)', async () => {
      for (const e of endpoints) {
        const res = await send(e, undefined);
        const name = `${e.method} ${e.url}: ${res.body.slice(0, 200)}`;
        if (e.permission === 'public') {
          expect.soft([401, 403], name).not.toContain(res.statusCode);
        } else {
          expect.soft(res.statusCode, name).toBe(401);
        }
      }
    });

    it.each(ROLES)(
      'a %s key gets 403 naming the permission exactly on the routes whose permission its role lacks',
      async (role) => {
        for (const e of endpoints) {
          if (e.permission === 'public' || e.permission === undefined) continue;
          const res = await send(e, keys[role]);
          const name = `${role} ${e.method} ${e.url}: ${res.statusCode} ${res.body.slice(0, 200)}`;
          if (e.permission === 'any_key') {
            // It checks what it serves: a refusal must name a permission the role lacks.
            if (res.statusCode === 403 && e.method !== 'HEAD') {
              const missing = res.json<ErrorBody>().error.details?.permission ?? '';
              expect.soft(holds(role, missing), `${name} (names ${missing})`).toBe(false);
            }
            continue;
          }
          if (holds(role, e.permission)) {
            expect.soft(res.statusCode, name).not.toBe(403);
            continue;
          }
          expect.soft(res.statusCode, name).toBe(403);
          if (e.method === 'HEAD') continue;
          const body = res.json<ErrorBody>();
          expect.soft(body.error.code, name).toBe('forbidden');
          expect.soft(body.error.details?.permission, name).toBe(e.permission);
          expect.soft(body.error.message, name).toContain(e.permission);
        }
      },
    );

    it('a viewer signed in with a session cookie gets 403 exactly where the viewer role lacks the permission', async () => {
      for (const e of endpoints) {
        if (e.permission === 'public' || e.permission === undefined) continue;
        // The session cookie is for the API (the MCP and widget endpoints take their own tokens).
        if (!e.url.startsWith('/api/v1/')) continue;
        const res = await t.app.inject({
          method: e.method,
          url: concrete(e.url),
          headers: { cookie: viewerSession.cookie, 'x-weft-csrf': viewerSession.csrf },
          ...(['POST', 'PUT', 'PATCH'].includes(e.method) && { payload: {} }),
        });
        const name = `viewer session ${e.method} ${e.url}: ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect.soft(res.statusCode, name).not.toBe(401);
        if (e.permission === 'any_key' || holds('viewer', e.permission)) {
          expect.soft(res.statusCode, name).not.toBe(403);
        } else {
          expect.soft(res.statusCode, name).toBe(403);
          if (e.method !== 'HEAD') {
            expect.soft(res.json<ErrorBody>().error.details?.permission, name).toBe(e.permission);
          }
        }
      }
    });

    it('a write with the session cookie but without its CSRF token is refused before anything else', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: { cookie: viewerSession.cookie },
        payload: { name: 'x' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json<ErrorBody>().error.message).toContain('x-weft-csrf');
      const read = await t.app.inject({
        method: 'GET',
        url: '/api/v1/customers',
        headers: { cookie: viewerSession.cookie },
      });
      expect(read.statusCode).toBe(200);
    });

    it('every admin tool declares a known permission', () => {
      expect(ADMIN_TOOLS.length).toBeGreaterThan(40);
      // Only the session tools (toolsets and schemas: no tenant data) go without one.
      const sessionTools = ['describe_tool', 'enable_toolset', 'list_toolsets'];
      for (const tool of ADMIN_TOOLS) {
        if (tool.permission === null) expect.soft(sessionTools, tool.name).toContain(tool.name);
        else expect.soft(PERMISSIONS, tool.name).toContain(tool.permission);
      }
    });

    it.each(ROLES)(
      'a %s agent gets forbidden exactly from the tools whose permission its role lacks, dry runs included',
      async (role) => {
        for (const tool of ADMIN_TOOLS) {
          for (const args of tool.write ? [{}, { dryRun: true }] : [{}]) {
            const result = (await clients[role].callTool({
              name: tool.name,
              arguments: args,
            })) as CallResult;
            const error = result.isError
              ? (JSON.parse(result.content[1]?.text ?? '{}') as Partial<ErrorBody>).error
              : undefined;
            const name = `${role} ${tool.name} ${JSON.stringify(args)}: ${result.content[0]?.text ?? ''}`;
            // Session tools (permission null) touch no tenant data: every role may use them.
            if (tool.permission === null || holds(role, tool.permission)) {
              expect.soft(error?.code, name).not.toBe('forbidden');
              continue;
            }
            expect.soft(result.isError, name).toBe(true);
            expect.soft(error?.code, name).toBe('forbidden');
            expect.soft(error?.details?.permission, name).toBe(tool.permission);
          }
        }
      },
    );
  },
);
