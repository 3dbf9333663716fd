/**
 * http/routes/oauth: the built-in authorization server on the API port. oidc-provider answers under `/oauth/` and
 * at its discovery documents (`/.well-known/oauth-authorization-server`, RFC 8414, and `openid-configuration`) from
 * the raw request, so these routes leave bodies unparsed. The consent URL `/oauth/interaction/<uid>` opens the
 * dashboard, which asks the admin and calls the interaction's `details` and `decision` (the interaction cookie is
 * scoped to that path). Under `/api/v1`: the grants (list, revoke) for the dashboard and admins.
 */
import type { FastifyPluginAsync } from 'fastify';
import { PERMISSIONS, type Permission } from '../../auth/api-keys';
import { sendDashboardPage } from '../../dashboard';
import { ApiError } from '../../errors';
import { GRANTABLE, INTERACTION_PATH, type GrantRegistry, type OAuthServer } from '../../oauth';
import type { SessionManager } from '../../sessions/manager';
import { visibleSessions } from '../access';
import { errorResponses } from './common';

export interface OAuthRouteOptions {
  oauth: OAuthServer;
}

/** Root-level: the protocol endpoints and the consent interaction. */
export const oauthProtocolRoutes: FastifyPluginAsync<OAuthRouteOptions & { sessions: SessionManager }> = async (app, { oauth, sessions }) => {
  await app.register(async (raw) => {
    // oidc-provider reads the body itself
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const handler = (rewrite?: string) => async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
      if (rewrite) request.raw.url = rewrite;
      reply.hijack();
      await oauth.handle(request.raw, reply.raw);
    };
    const config = { permission: 'public' as const };
    raw.all('/oauth/*', { config, schema: { hide: true } }, handler());
    raw.get('/.well-known/openid-configuration', { config, schema: { hide: true } }, handler());
    raw.get('/.well-known/oauth-authorization-server', { config, schema: { hide: true } }, handler('/.well-known/openid-configuration'));
  });

  app.get<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid`, { config: { permission: 'public' }, schema: { hide: true } }, async (_request, reply) => sendDashboardPage(reply));

  app.get<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid/details`, { config: { permission: 'admin' }, schema: { hide: true } }, async (request, reply) => {
    const consent = await oauth.consentRequest(request.params.uid, request.raw, reply.raw);
    return { ...consent, grantable: GRANTABLE, sessions: visibleSessions(request.apiKey, sessions.list()).map((s) => ({ id: s.id, status: s.status })) };
  });

  app.post<{ Params: { uid: string }; Body: { approve: boolean; sessions?: '*' | string[]; permissions?: Permission[] } }>(
    `${INTERACTION_PATH}/:uid/decision`,
    {
      config: { permission: 'admin' },
      schema: {
        hide: true,
        body: {
          type: 'object',
          required: ['approve'],
          additionalProperties: false,
          properties: {
            approve: { type: 'boolean' },
            sessions: { anyOf: [{ type: 'string', const: '*' }, { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000 }] },
            permissions: { type: 'array', items: { type: 'string', enum: [...PERMISSIONS] }, maxItems: PERMISSIONS.length },
          },
        },
      },
    },
    async (request, reply) => {
      const key = request.apiKey!;
      for (const session of request.body.sessions === '*' || !request.body.sessions ? [] : request.body.sessions) sessions.get(session);
      const redirectTo = await oauth.decide(request.params.uid, request.raw, reply.raw, request.body, { id: key.id, name: key.name });
      return { redirectTo };
    },
  );
};

const grantView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    clientId: { type: 'string' },
    clientName: { type: 'string' },
    sessions: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    permissions: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['active', 'revoked'] },
    createdAt: { type: 'string' },
    createdBy: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    lastUsedAt: { type: 'string' },
    revokedAt: { type: 'string' },
  },
} as const;

/** Under /api/v1: the OAuth grants, for admins. */
export const oauthGrantRoutes: FastifyPluginAsync<OAuthRouteOptions & { grants: GrantRegistry }> = async (app, { oauth, grants }) => {
  app.get(
    '/oauth/grants',
    { config: { permission: 'admin' }, schema: { tags: ['oauth'], summary: 'OAuth grants: which client may use which sessions with which permissions, who consented, last use', response: { 200: { type: 'object', properties: { grants: { type: 'array', items: grantView } } } } } },
    async () => ({ grants: grants.list().map((grant) => ({ ...grant, status: grant.revokedAt ? 'revoked' : 'active' })) }),
  );
  app.delete<{ Params: { grantId: string } }>(
    '/oauth/grants/:grantId',
    {
      config: { permission: 'admin', audit: 'oauth.grant_revoked' },
      schema: { tags: ['oauth'], summary: 'Revoke an OAuth grant: its access and refresh tokens stop working at once', params: { type: 'object', required: ['grantId'], properties: { grantId: { type: 'string' } } }, response: { 200: grantView, ...errorResponses } },
    },
    async (request) => {
      if (!grants.list().some((g) => g.id === request.params.grantId)) throw new ApiError(404, 'grant_not_found', `No OAuth grant "${request.params.grantId}"`);
      const revoked = await oauth.revoke(request.params.grantId);
      return { ...revoked, status: 'revoked' };
    },
  );
};
