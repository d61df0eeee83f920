import type { FastifyRequest } from 'fastify';
import type { Database } from '../../db/database.ts';
import type { Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { authenticateApiKey } from '../auth/auth.service.ts';
import {
  authenticateSession,
  SESSION_COOKIE,
  sessionClientOf,
  signIn,
  type StartedSession,
} from '../people/sessions.service.ts';
import type { Person } from './mcp-oauth.service.ts';

function personOf(tenant: Tenant): Person | null {
  if (tenant.actor.userId === null) return null;
  return {
    orgId: tenant.orgId,
    userId: tenant.actor.userId,
    label: tenant.actor.type === 'user' ? tenant.actor.label : null,
    permissions: tenant.permissions,
  };
}

/** The person whose session cookie this request carries, or null. */
export async function sessionPerson({
  db,
  request,
}: {
  db: Database;
  request: FastifyRequest;
}): Promise<Person | null> {
  const token = request.cookies[SESSION_COOKIE];
  if (token === undefined || token === '') return null;
  const tenant = await authenticateSession({ db, token, requestId: request.id }).catch(() => null);
  return tenant ? personOf(tenant) : null;
}

/**
 * Who decides on the consent form: the one place consent learns it. In order: the email and
 * password typed into the form (which signs the person in: `session` is then set for the
 * cookie), an API key typed into it (for installations whose people sign in with keys), or the
 * session cookie, accepted only from a form on our own origin (the cookie is SameSite=Strict;
 * the Origin check is the CSRF guard for a form that carries no credentials of its own).
 */
export async function currentPerson({
  db,
  request,
  origin,
}: {
  db: Database;
  request: FastifyRequest;
  /** This installation's origin (of its public URL). */
  origin: string;
}): Promise<{ person: Person; session: StartedSession | null } | null> {
  const form = (request.body ?? {}) as Record<string, unknown>;
  const field = (name: string) =>
    typeof form[name] === 'string' && form[name] !== '' ? form[name] : null;
  const email = field('email');
  const password = field('password');
  if (email !== null && password !== null) {
    const session = await signIn({
      db,
      input: { email, password },
      client: sessionClientOf(request),
    });
    const tenant = await authenticateSession({ db, token: session.token, requestId: request.id });
    const person = personOf(tenant);
    return person ? { person, session } : null;
  }
  const key = field('api_key');
  if (key !== null) {
    const person = personOf(await authenticateApiKey({ db, key, requestId: request.id }));
    return person ? { person, session: null } : null;
  }
  if (request.headers.origin !== origin) {
    if (request.cookies[SESSION_COOKIE] !== undefined) {
      throw new AppError('forbidden', 'the consent must come from this server’s own page');
    }
    return null;
  }
  const person = await sessionPerson({ db, request });
  return person ? { person, session: null } : null;
}
