import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Fastify, { type HTTPMethods, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, seedUserKey, withKey, type TestApp } from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';
import { ADMIN_TOOLS } from '../../tools/index.ts';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, type Role } from '../domain/tenant.ts';
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

function holds(role: Role, permission: string): boolean {
  return (ROLE_PERMISSIONS[role] as readonly string[]).includes(permission);
}

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
    const keys = {} as Record<Role, string>;
    const clients = {} as Record<Role, Client>;
    let endpoints: Endpoint[];

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
          if (e.permission === 'any_key' || holds(role, e.permission)) {
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

    it('every admin tool declares a known permission', () => {
      expect(ADMIN_TOOLS.length).toBeGreaterThan(40);
      for (const tool of ADMIN_TOOLS)
        expect.soft(PERMISSIONS, tool.name).toContain(tool.permission);
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
            if (holds(role, tool.permission)) {
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
