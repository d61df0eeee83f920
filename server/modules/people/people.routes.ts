import type { FastifyReply, FastifyRequest } from 'fastify';
import '@fastify/cookie';
import { z } from 'zod';
import { ErrorBodySchema, IdParamsSchema } from '../../domain/common.ts';
import {
  AcceptInvitationSchema,
  ChangeRoleSchema,
  CreateRoleSchema,
  CreatedInvitationSchema,
  DuplicateRoleSchema,
  InvitationSchema,
  InvitePersonSchema,
  PersonSchema,
  RoleSchema,
  RoleSlugSchema,
  SessionInfoSchema,
  SignInSchema,
  TransferOwnershipSchema,
  UpdateRoleSchema,
} from '../../domain/people.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import {
  acceptInvitation,
  changeRole,
  invitePerson,
  listInvitations,
  listPeople,
  removePerson,
  revokeInvitation,
  transferOwnership,
} from './people.service.ts';
import { createRole, deleteRole, duplicateRole, listRoles, updateRole } from './roles.service.ts';
import { csrfTokenOf } from './secrets.ts';
import {
  SESSION_COOKIE,
  sessionClientOf,
  sessionInfo,
  signIn,
  signOut,
  type StartedSession,
} from './sessions.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const SlugParamsSchema = z.object({ slug: RoleSlugSchema }).strict();

/** The session token a request carries in its cookie, if any. */
export function sessionTokenOf(request: FastifyRequest): string | null {
  const value = request.cookies[SESSION_COOKIE];
  return typeof value === 'string' && value !== '' ? value : null;
}

const StartedSchema = z.object({
  expiresAt: z.string(),
  csrfToken: z.string().describe('Send it as x-weft-csrf on every write made with the cookie'),
});

function sendSession(request: FastifyRequest, reply: FastifyReply, session: StartedSession) {
  return reply
    .header('cache-control', 'no-store')
    .setCookie(SESSION_COOKIE, session.token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      expires: session.expiresAt,
    })
    .send({ expiresAt: session.expiresAt.toISOString(), csrfToken: csrfTokenOf(session.token) });
}

/** Signing in, accepting an invitation and signing out: before (or without) a session. */
export function authRoutes(app: App, { db }: AppDeps): void {
  const tags = ['Sign-in'];
  app.post('/sign-in', {
    config: { permission: 'public', reason: 'signing in is how a person gets a session' },
    schema: {
      tags,
      summary: 'Sign in with email and password; sets the HttpOnly session cookie',
      security: [],
      body: SignInSchema,
      response: { 200: StartedSchema, ...errors },
    },
    handler: async (request, reply) =>
      sendSession(
        request,
        reply,
        await signIn({ db, input: request.body, client: sessionClientOf(request) }),
      ),
  });

  app.post('/accept-invite', {
    config: { permission: 'public', reason: 'the one-time invitation token identifies the person' },
    schema: {
      tags,
      summary: 'Accept an invitation (or a password link) by choosing a password; signs in',
      security: [],
      body: AcceptInvitationSchema,
      response: { 200: StartedSchema, ...errors },
    },
    handler: async (request, reply) =>
      sendSession(
        request,
        reply,
        await acceptInvitation({
          db,
          input: request.body,
          requestId: request.id,
          client: sessionClientOf(request),
        }),
      ),
  });

  app.post('/sign-out', {
    config: { permission: 'public', reason: 'ends the session its cookie names, if any' },
    schema: { tags, summary: 'Sign out: ends the session and clears its cookie', security: [] },
    handler: async (request, reply) => {
      const token = sessionTokenOf(request);
      if (token !== null) await signOut({ db, token });
      return reply.clearCookie(SESSION_COOKIE, { path: '/' }).code(204).send();
    },
  });
}

/** People, invitations and roles, behind authentication. */
export function peopleRoutes(
  app: App,
  { db }: AppDeps,
  { baseUrl }: { baseUrl: () => string },
): void {
  app.get('/auth/session', {
    config: { permission: 'any_key', reason: 'anyone signed in may see who they are' },
    schema: {
      tags: ['Sign-in'],
      summary: 'Who is signed in: person, org, role, permissions, and the CSRF token',
      response: { 200: SessionInfoSchema, ...errors },
    },
    handler: async (request, reply) =>
      reply.header('cache-control', 'no-store').send(
        await sessionInfo({
          db,
          tenant: tenantOf(request),
          sessionToken: request.tenant?.actor.type === 'user' ? sessionTokenOf(request) : null,
        }),
      ),
  });

  const tags = ['People'];
  app.get('/people', {
    config: { permission: 'people:read' },
    schema: {
      tags,
      summary: 'List the people of the organization',
      response: { 200: z.object({ data: z.array(PersonSchema) }), ...errors },
    },
    handler: async (request) => ({ data: await listPeople({ db, tenant: tenantOf(request) }) }),
  });

  app.post('/people/invitations', {
    config: { permission: 'people:write' },
    schema: {
      tags,
      summary: 'Invite a person by email: returns the one-time link to send them (no mail is sent)',
      body: InvitePersonSchema,
      response: { 201: CreatedInvitationSchema, ...errors },
    },
    handler: async (request, reply) => {
      const created = await invitePerson({
        db,
        tenant: tenantOf(request),
        input: request.body,
        baseUrl: baseUrl(),
      });
      request.log.info(
        { invitation: created.id, email: created.email, link: created.link },
        'invitation link created',
      );
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  });

  app.get('/people/invitations', {
    config: { permission: 'people:read' },
    schema: {
      tags,
      summary: 'Open invitations (their links are never shown again)',
      response: { 200: z.object({ data: z.array(InvitationSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await listInvitations({ db, tenant: tenantOf(request) }),
    }),
  });

  app.delete('/people/invitations/:id', {
    config: { permission: 'people:write' },
    schema: {
      tags,
      summary: 'Withdraw an invitation; its link stops working',
      params: IdParamsSchema,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await revokeInvitation({ db, tenant: tenantOf(request), id: request.params.id });
      return reply.code(204).send(null);
    },
  });

  app.post('/people/transfer-ownership', {
    config: { permission: 'people:write' },
    schema: {
      tags,
      summary: 'Make another person the owner (only the owner may); the old owner becomes admin',
      body: TransferOwnershipSchema,
      response: { 200: z.object({ data: z.array(PersonSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await transferOwnership({
        db,
        tenant: tenantOf(request),
        userId: request.body.userId,
      }),
    }),
  });

  app.patch('/people/:id', {
    config: { permission: 'people:write' },
    schema: {
      tags,
      summary: "Change a person's role",
      params: IdParamsSchema,
      body: ChangeRoleSchema,
      response: { 200: PersonSchema, ...errors },
    },
    handler: (request) =>
      changeRole({
        db,
        tenant: tenantOf(request),
        userId: request.params.id,
        role: request.body.role,
      }),
  });

  app.delete('/people/:id', {
    config: { permission: 'people:write' },
    schema: {
      tags,
      summary: 'Remove a person: their API keys and sessions stop working at once',
      params: IdParamsSchema,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await removePerson({ db, tenant: tenantOf(request), userId: request.params.id });
      return reply.code(204).send(null);
    },
  });

  const roleTags = ['Roles'];
  app.get('/roles', {
    config: { permission: 'people:read' },
    schema: {
      tags: roleTags,
      summary: 'The six system roles and the custom ones, with their permissions',
      response: { 200: z.object({ data: z.array(RoleSchema) }), ...errors },
    },
    handler: async (request) => ({ data: await listRoles({ db, tenant: tenantOf(request) }) }),
  });

  app.post('/roles', {
    config: { permission: 'people:write' },
    schema: {
      tags: roleTags,
      summary: 'Create a custom role',
      body: CreateRoleSchema,
      response: { 201: RoleSchema, ...errors },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await createRole({ db, tenant: tenantOf(request), input: request.body })),
  });

  app.post('/roles/:slug/duplicate', {
    config: { permission: 'people:write' },
    schema: {
      tags: roleTags,
      summary: 'Duplicate a role (a system one too) as a new custom role',
      params: SlugParamsSchema,
      body: DuplicateRoleSchema,
      response: { 201: RoleSchema, ...errors },
    },
    handler: async (request, reply) =>
      reply.code(201).send(
        await duplicateRole({
          db,
          tenant: tenantOf(request),
          from: request.params.slug,
          slug: request.body.slug,
          name: request.body.name,
        }),
      ),
  });

  app.patch('/roles/:slug', {
    config: { permission: 'people:write' },
    schema: {
      tags: roleTags,
      summary: "Change a custom role's name, description or permissions",
      params: SlugParamsSchema,
      body: UpdateRoleSchema,
      response: { 200: RoleSchema, ...errors },
    },
    handler: (request) =>
      updateRole({
        db,
        tenant: tenantOf(request),
        slug: request.params.slug,
        input: request.body,
      }),
  });

  app.delete('/roles/:slug', {
    config: { permission: 'people:write' },
    schema: {
      tags: roleTags,
      summary: 'Delete a custom role nobody holds',
      params: SlugParamsSchema,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await deleteRole({ db, tenant: tenantOf(request), slug: request.params.slug });
      return reply.code(204).send(null);
    },
  });
}
