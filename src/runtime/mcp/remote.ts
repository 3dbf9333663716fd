/**
 * mcp/remote: remote access for agents, assembled from the configuration: the MCP endpoint, and the OAuth side
 * chosen by `oauth` (the built-in authorization server, an external identity provider's JWTs, or API keys only).
 * The same token check serves the REST API, so a token works on every route its grant covers.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { ApiKeyRecord, ApiKeys } from '../auth/api-keys';
import type { AuditLog } from '../audit';
import type { RuntimeConfig } from '../config';
import { oauthGrantRoutes, oauthProtocolRoutes } from '../http/routes/oauth';
import { ExternalTokens } from '../oauth/external';
import { GRANTABLE, GrantRegistry, OAuthServer, type GrantRecord } from '../oauth';
import type { SessionManager } from '../sessions/manager';
import type { Store } from '../store';
import type { RuntimeMetrics } from '../metrics';
import { keyAuthentication, mcpRoutes } from '.';

export interface RemoteAccess {
  /** Mounted at the root: /mcp, and the authorization server's endpoints. */
  rootRoutes: FastifyPluginAsync[];
  /** Mounted under /api/v1: the OAuth grants. */
  apiRoutes: FastifyPluginAsync[];
  /** The credential an OAuth access token stands for (undefined: not a valid token). */
  verifyToken?(token: string): Promise<ApiKeyRecord | undefined>;
  /** Once the runtime listens at `url` (the issuer, unless a public URL is configured). */
  start(url: string): Promise<void>;
  dropSession(session: string): Promise<void>;
  /** Revocations of OAuth grants, by grant id (open event streams of a revoked grant close). */
  onRevoked(listener: (id: string) => void): () => void;
}

export function remoteAccess(config: RuntimeConfig, deps: { store: Store; apiKeys: ApiKeys; audit: AuditLog; logger: Logger; sessions: SessionManager; version: string; loopbackOnly: boolean; metrics?: Pick<RuntimeMetrics, 'mcpToolCall'> }): RemoteAccess {
  const policy = { allowPrivateNetworks: config.oauthAllowPrivateNetworks };
  const logger = deps.logger.child({ component: 'oauth' });
  const grants = new GrantRegistry(deps.store.namespace<GrantRecord>('oauth-grants', { plainJson: true }));
  const builtin =
    config.oauth === 'builtin'
      ? new OAuthServer({
          records: deps.store.namespace('oauth', { plainJson: true }),
          secrets: deps.store.namespace('oauth-secrets', { plainJson: true }),
          grants,
          audit: deps.audit,
          logger,
          fetchPolicy: policy,
          accessTokenTtlSeconds: config.oauthAccessTokenTtlSeconds,
          refreshTokenTtlDays: config.oauthRefreshTokenTtlDays,
        })
      : undefined;
  const external = config.oauth === 'external' ? new ExternalTokens({ issuer: config.oauthIssuer!, jwksUrl: config.oauthJwksUrl, audience: config.oauthAudience, sessionsClaim: config.oauthSessionsClaim }, policy) : undefined;
  const verifyToken = builtin ? (token: string) => builtin.verify(token) : external ? (token: string) => external.verify(token) : undefined;
  const keys = keyAuthentication(deps.apiKeys);

  const rootRoutes: FastifyPluginAsync[] = [];
  if (config.mcpEnabled) {
    rootRoutes.push(async (instance) => {
      await instance.register(mcpRoutes, {
        version: deps.version,
        logger: deps.logger.child({ component: 'mcp' }),
        audit: deps.audit,
        authenticate: async (token, keysOnly) => {
          const verdict = await keys(token);
          if (keysOnly || !token || !('refused' in verdict) || verdict.refused !== 'unknown' || !verifyToken) return verdict;
          const record = await verifyToken(token);
          return record ? { principal: { id: record.id, name: record.name, permissions: record.permissions, sessions: record.sessions, kind: 'grant' } } : { refused: 'unknown', message: 'The access token is not valid, has expired or was revoked' };
        },
        publicUrl: config.publicUrl,
        allowedHosts: config.mcpAllowedHosts,
        loopbackOnly: deps.loopbackOnly,
        ...((builtin || external) && { authorizationServers: () => [builtin?.issuer ?? external!.issuer].filter((issuer): issuer is string => !!issuer) }),
        scopes: GRANTABLE,
        ...(deps.metrics && { onToolCall: (tool, result, seconds) => deps.metrics!.mcpToolCall(tool, result, seconds) }),
      });
    });
  }
  if (builtin) rootRoutes.push(async (instance) => instance.register(oauthProtocolRoutes, { oauth: builtin, sessions: deps.sessions }));

  return {
    rootRoutes,
    apiRoutes: builtin ? [async (instance) => instance.register(oauthGrantRoutes, { oauth: builtin, grants })] : [],
    ...(verifyToken && { verifyToken }),
    async start(url) {
      const base = (config.publicUrl ?? url).replace(/\/$/, '');
      await builtin?.start(base);
      await external?.start(`${base}/mcp`);
    },
    async dropSession(session) {
      for (const id of await grants.dropSession(session)) await builtin?.revoke(id);
    },
    onRevoked: (listener) => grants.onRevoked((record) => listener(record.id)),
  };
}
