// Your own account: password, sessions and the MCP clients you authorized; and deleting the
// organization (its owner only). Own-account routes take any signed-in person or a key of that
// person ('any_key'): each acts on the caller's own rows only.
import type { FastifyRequest } from 'fastify';
import '@fastify/cookie';
import { z } from 'zod';
import {
  AccountSessionSchema,
  ChangePasswordSchema,
  DeleteOrganizationSchema,
  McpClientGrantSchema,
} from '../../domain/account.ts';
import { ErrorBodySchema, IdParamsSchema } from '../../domain/common.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { listOwnMcpClients, revokeOwnMcpClient } from '../mcp-oauth/grants.service.ts';
import { deleteOrganization } from '../orgs/delete-organization.service.ts';
import {
  changePassword,
  endOtherSessions,
  endOwnSession,
  listOwnSessions,
} from './account.service.ts';
import { sessionTokenOf } from './people.routes.ts';
import { SESSION_COOKIE } from './sessions.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const OWN = { permission: 'any_key', reason: 'a person acts on their own account only' } as const;
const EndedSchema = z.object({ endedSessions: z.number().int() });

/** The session the request was made with; null for a key (a key's request never uses a cookie). */
function currentSession(request: FastifyRequest): string | null {
  return request.tenant?.actor.type === 'user' ? sessionTokenOf(request) : null;
}

export function accountRoutes(app: App, { db, config }: AppDeps): void {
  const tags = ['Your account'];
  app.post('/auth/password', {
    // Each try costs a scrypt, and a stolen session must not guess its way to the password.
    config: {
      ...OWN,
      rateLimit: { max: Math.min(config.rateLimitPerMinute, 10), timeWindow: 60_000 },
    },
    schema: {
      tags,
      summary: 'Change your password (the current one required); your other sessions end',
      body: ChangePasswordSchema,
      response: { 200: EndedSchema, ...errors },
    },
    handler: async (request) =>
      changePassword({
        db,
        tenant: tenantOf(request),
        input: request.body,
        sessionToken: currentSession(request),
      }),
  });

  app.get('/auth/sessions', {
    config: OWN,
    schema: {
      tags,
      summary: 'Your signed-in sessions; `current` marks the one making this request',
      response: { 200: z.object({ data: z.array(AccountSessionSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await listOwnSessions({
        db,
        tenant: tenantOf(request),
        sessionToken: currentSession(request),
      }),
    }),
  });

  app.delete('/auth/sessions', {
    config: OWN,
    schema: {
      tags,
      summary: 'Sign out everywhere else: ends all your sessions but this one',
      response: { 200: EndedSchema, ...errors },
    },
    handler: async (request) =>
      endOtherSessions({ db, tenant: tenantOf(request), sessionToken: currentSession(request) }),
  });

  app.delete('/auth/sessions/:id', {
    config: OWN,
    schema: {
      tags,
      summary: 'Sign out one of your sessions (this one too: its cookie is cleared)',
      params: IdParamsSchema,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      const ended = await endOwnSession({
        db,
        tenant: tenantOf(request),
        id: request.params.id,
        sessionToken: currentSession(request),
      });
      if (ended.current) void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  });

  app.get('/auth/mcp-clients', {
    config: OWN,
    schema: {
      tags,
      summary: 'The MCP clients you authorized (OAuth) that can still call Weft',
      response: { 200: z.object({ data: z.array(McpClientGrantSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await listOwnMcpClients({ db, tenant: tenantOf(request) }),
    }),
  });

  app.delete('/auth/mcp-clients/:id', {
    config: OWN,
    schema: {
      tags,
      summary: 'Revoke an MCP client: its access and refresh tokens stop working at once',
      params: IdParamsSchema,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await revokeOwnMcpClient({ db, tenant: tenantOf(request), id: request.params.id });
      return reply.code(204).send(null);
    },
  });

  app.delete('/organization', {
    config: { permission: 'settings:write' },
    schema: {
      tags: ['Organization'],
      summary:
        'Delete the organization and everything it owns (the owner only; type its name to confirm)',
      body: DeleteOrganizationSchema,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await deleteOrganization({
        db,
        tenant: tenantOf(request),
        input: request.body,
        // The org's audit log goes with it: this line is the record that survives.
        onDeleting: (deletion) =>
          request.log.warn(
            { audit: { action: 'organization.delete', ...deletion } },
            'deleting organization',
          ),
      });
      return reply.clearCookie(SESSION_COOKIE, { path: '/' }).code(204).send(null);
    },
  });
}
