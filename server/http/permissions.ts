import type { FastifyInstance, onRequestHookHandler, RouteOptions } from 'fastify';
import { PERMISSIONS, requirePermission, type Permission } from '../domain/tenant.ts';
import { tenantOf } from './types.ts';

/**
 * Who may call a route, declared where the route is defined (`config.permission`):
 * - a permission: the caller's key must hold it (checked right after authentication);
 * - `public`: no key at all, with a `reason` saying why;
 * - `any_key`: the route authenticates by itself and checks each operation it serves (the MCP
 *   endpoints, where every tool declares its own permission), with a `reason`.
 */
export type RouteAccess = Permission | 'public' | 'any_key';

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RouteAccess;
    /** Why a `public` or `any_key` route needs no permission of its own. */
    reason?: string;
  }
}

const SCOPE_ACCESS = Symbol('weft.scopeAccess');

interface Declaration {
  permission: RouteAccess;
  reason?: string;
}

/**
 * Declares the access of every route a third-party plugin registers inside `scope` (such routes
 * take no options from us): used for the API documentation UI.
 */
export function declareScopeAccess(
  scope: FastifyInstance,
  declaration: { permission: 'public' | 'any_key'; reason: string },
): void {
  scope.decorate(SCOPE_ACCESS, declaration);
}

function routeName(route: RouteOptions): string {
  return `${Array.isArray(route.method) ? route.method.join(',') : route.method} ${route.url}`;
}

/**
 * Makes a permission part of every route's definition: a route that declares none cannot be
 * registered (the app fails to start), and a declared permission is checked centrally, before
 * the body is parsed or validated, so no handler or service can be reached without it.
 * Services still check their own permissions too.
 */
export function enforceDeclaredPermissions(app: FastifyInstance): void {
  app.addHook('onRoute', function (route) {
    const scoped = (this as unknown as Record<symbol, Declaration | undefined>)[SCOPE_ACCESS];
    const declared: Partial<Declaration> = route.config?.permission ? route.config : (scoped ?? {});
    const { permission, reason } = declared;
    if (permission === undefined) {
      throw new Error(
        `${routeName(route)} declares no permission: add config: { permission } (a permission, or 'public' with a reason)`,
      );
    }
    if (permission === 'public' || permission === 'any_key') {
      if (!reason) throw new Error(`${routeName(route)} is ${permission} but gives no reason`);
      route.config = { ...route.config, permission, reason };
      return;
    }
    if (!(PERMISSIONS as readonly string[]).includes(permission)) {
      throw new Error(`${routeName(route)} declares an unknown permission ${String(permission)}`);
    }
    // A route-level hook runs after the scope's authentication hook, and before body parsing.
    const check: onRequestHookHandler = (request, _reply, done) => {
      requirePermission(tenantOf(request), permission);
      done();
    };
    const existing = route.onRequest;
    route.onRequest = [
      ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
      check,
    ];
  });
}
