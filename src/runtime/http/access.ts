/**
 * http/access: what each route needs and what the presented key may do. Every API route declares a permission
 * (`config.permission`; a route plugin sets its default with `routePermissions`: reads need `read`, its writes the
 * permission it names); a route with none fails at start. Sessions a key cannot see answer 404 as if they did not
 * exist, so a key cannot probe for names; a missing permission answers 403 naming it. Routes that change something
 * name their audit action (`config.audit`), recorded once the answer is known.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { allows, canSee, type ApiKeyRecord, type Permission } from '../auth/api-keys';
import type { AuditEntry, AuditLog } from '../audit';
import { ApiError } from '../errors';

/** `any`: every valid key; `public`: no key at all (health probes). */
export type RoutePermission = Permission | 'any' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RoutePermission;
    audit?: string;
    /** The route sends a message: its answers are counted as sends (metrics). */
    send?: boolean;
  }
  interface FastifyRequest {
    apiKey?: ApiKeyRecord;
    /** Set by a handler when the audited object is not named by the route's parameters (a created key, say). */
    audited?: { target?: { type: string; id: string }; details?: AuditEntry['details'] };
    /** The error code of the answer, for the request log. */
    errorCode?: string;
    /** Cluster mode: the runtime this request was passed on to (it audits and counts it, not this one). */
    forwardedTo?: string;
  }
}

const SESSION_ROUTE = '/api/v1/sessions/:id';

/** The default permission of the routes this plugin declares: `reads` for GET, `writes` for the rest. */
export function routePermissions(app: FastifyInstance, writes: Permission, reads: Permission = 'read'): void {
  app.addHook('onRoute', (route) => {
    route.config ??= {};
    const config = route.config as { permission?: RoutePermission };
    config.permission ??= [route.method].flat().every((method) => method === 'GET' || method === 'HEAD') ? reads : writes;
  });
}

/** Collects the API routes and, when the app is ready, refuses to start if one declares no permission. */
export function requireDeclaredPermissions(app: FastifyInstance): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/v1/')) routes.push(route);
  });
  app.addHook('onReady', async () => {
    const undeclared = routes.filter((route) => !(route.config as { permission?: RoutePermission } | undefined)?.permission);
    if (undeclared.length) throw new Error(`Routes without a declared permission: ${undeclared.map((r) => `${[r.method].flat().join(',')} ${r.url}`).join('; ')}`);
  });
}

export function permissionOf(request: FastifyRequest): RoutePermission | undefined {
  return request.routeOptions.config.permission;
}

/** Throws 404 for a session outside the key's scope (the same answer as a session that does not exist). */
export function assertSessionVisible(key: ApiKeyRecord | undefined, session: string): void {
  if (key && !canSee(key, session)) throw new ApiError(404, 'session_not_found', `Session "${session}" does not exist`);
}

export function sessionOfRoute(request: FastifyRequest): string | undefined {
  const url = request.routeOptions.url;
  if (!url || !(url === SESSION_ROUTE || url.startsWith(`${SESSION_ROUTE}/`))) return undefined;
  return (request.params as { id?: string }).id;
}

/** The checks of one request, after its key is known: the session first (404), then the permission (403). */
export function authorize(request: FastifyRequest, key: ApiKeyRecord): void {
  const session = sessionOfRoute(request);
  if (session !== undefined) assertSessionVisible(key, session);
  const needed = permissionOf(request);
  if (needed && needed !== 'any' && needed !== 'public' && !allows(key, needed)) throw new ApiError(403, 'missing_permission', `This API key lacks the "${needed}" permission`, { permission: needed });
}

/** Sessions the key may see, of those listed. */
export function visibleSessions<T extends { id: string }>(key: ApiKeyRecord | undefined, sessions: T[]): T[] {
  return key ? sessions.filter((s) => canSee(key, s.id)) : sessions;
}

export function recordAudit(audit: AuditLog, request: FastifyRequest, status: number): void {
  const action = request.routeOptions.config.audit;
  if (!action) return;
  const session = sessionOfRoute(request);
  const params = request.params as Record<string, string>;
  const lastParam = Object.keys(params).filter((name) => name !== 'id' || !session).pop();
  const derived = lastParam ? { type: action.split('.')[0], id: params[lastParam] } : session ? { type: 'session', id: session } : undefined;
  const target = request.audited?.target ?? derived;
  const key = request.apiKey;
  void audit.record({
    actor: key ? { type: 'key', id: key.id, name: key.name } : { type: 'anonymous' },
    action,
    ...(target && { target }),
    ...(session && { session }),
    ip: request.ip,
    ...(request.headers['user-agent'] && { userAgent: request.headers['user-agent'].slice(0, 200) }),
    result: status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure',
    status,
    ...(request.audited?.details && { details: request.audited.details }),
  });
}

/** The key of a request: `Authorization: Bearer <key>` or `X-Api-Key`. */
export function presentedKey(authorization: string | undefined, xApiKey: string | string[] | undefined): string | undefined {
  if (authorization?.toLowerCase().startsWith('bearer ')) return authorization.slice(7).trim();
  return Array.isArray(xApiKey) ? xApiKey[0] : xApiKey;
}
