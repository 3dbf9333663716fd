/**
 * oauth/: the runtime as an OAuth 2.1 authorization server for MCP clients that only do OAuth (claude.ai
 * connectors, ChatGPT), built on `oidc-provider` (certified, well kept; we write no token formats). Authorization
 * code with PKCE (S256, always), dynamic client registration and Client ID Metadata Documents (fetched through the
 * outbound-URL guard), RFC 8707 resource indicators (tokens are for `<public URL>/mcp` only), the RFC 9207 `iss`
 * response parameter, short-lived opaque access tokens, rotating refresh tokens and RFC 7009 revocation. Consent is
 * the dashboard's: an admin signs in, sees which client asks, and picks the sessions and permissions to grant
 * (`grants.ts`). A token authorises the same REST and MCP calls as an API key with those permissions.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider' with { 'resolution-mode': 'import' };
import type { ApiKeyRecord, KeyActor, Permission } from '../auth/api-keys';
import type { AuditLog } from '../audit';
import { ApiError } from '../errors';
import { guardedFetch, type UrlPolicy } from '../net/guard';
import { keyvAdapter } from './adapter';
import { GRANTABLE, GrantRegistry, oauthCredential, type GrantRecord } from './grants';

export { GRANTABLE, GrantRegistry, type GrantRecord } from './grants';

type Oidc = typeof import('oidc-provider', { with: { 'resolution-mode': 'import' } });
type Provider = InstanceType<Oidc['default']>;
type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });

export interface OAuthOptions {
  /** oidc-provider's records (hashed ids, no token values). */
  records: Keyv<unknown>;
  /** The signing key and cookie secret, made at the first start. */
  secrets: Keyv<unknown>;
  grants: GrantRegistry;
  audit?: AuditLog;
  logger: Logger;
  /** Client ID Metadata Documents are fetched under this policy (public addresses only unless configured). */
  fetchPolicy: UrlPolicy;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
}

export interface ConsentRequest {
  uid: string;
  client: { id: string; name: string; uri?: string; logoUri?: string; redirectUri?: string };
  /** Permissions the client asked for (of those a grant can give). */
  permissions: Permission[];
  resource: string;
}

export interface ConsentDecision {
  approve: boolean;
  sessions?: '*' | string[];
  permissions?: Permission[];
}

const PATHS = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  registration: '/oauth/register',
  revocation: '/oauth/revoke',
  jwks: '/oauth/jwks',
  end_session: '/oauth/logout',
  userinfo: '/oauth/userinfo',
  pushed_authorization_request: '/oauth/par',
  introspection: '/oauth/introspect',
  device_authorization: '/oauth/device',
  code_verification: '/oauth/device/verify',
  backchannel_authentication: '/oauth/backchannel',
  challenge: '/oauth/challenge',
} as const;

export const INTERACTION_PATH = '/oauth/interaction';

export class OAuthServer {
  private provider?: Provider;
  private resourceUrl?: string;

  constructor(private readonly options: OAuthOptions) {}

  get issuer(): string | undefined {
    return this.provider?.issuer;
  }

  /** The MCP endpoint tokens are issued for. */
  get resource(): string | undefined {
    return this.resourceUrl;
  }

  /** Builds the provider once the runtime's public URL is known (after it listens, when none is configured). */
  async start(issuer: string): Promise<void> {
    const { default: Provider, errors } = (await import('oidc-provider')) as Oidc;
    const jose = (await import('jose')) as Jose;
    const { options } = this;
    await options.grants.load();
    const resource = `${issuer}/mcp`;
    this.resourceUrl = resource;
    const secrets = await this.secrets(jose);
    const configuration: Configuration = {
      adapter: keyvAdapter(options.records),
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
      jwks: { keys: [secrets.signingKey] },
      cookies: { keys: [secrets.cookieKey] },
      routes: PATHS,
      // the permissions are scopes of the MCP resource; listed here too so clients may register with them
      scopes: ['offline_access', ...GRANTABLE],
      claims: { openid: ['sub'] },
      responseTypes: ['code'],
      pkce: { required: () => true },
      clientDefaults: { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', id_token_signed_response_alg: 'ES256' },
      interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      ttl: {
        AccessToken: options.accessTokenTtlSeconds,
        AuthorizationCode: 60,
        RefreshToken: options.refreshTokenTtlDays * 86_400,
        Grant: options.refreshTokenTtlDays * 86_400,
        Interaction: 3600,
        Session: 3600,
        IdToken: 3600,
      },
      // Client ID Metadata Documents (GETs): through the guard, like every URL the runtime fetches
      fetch: async (url, init) => (await guardedFetch(url instanceof Request ? url.url : url, { method: init?.method, headers: init?.headers as Record<string, string>, signal: init?.signal }, options.fetchPolicy)) as unknown as Response,
      features: {
        devInteractions: { enabled: false },
        userinfo: { enabled: false },
        registration: { enabled: true },
        // a client revokes only its own tokens
        revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
        clientIdMetadataDocument: { enabled: true, ack: 'draft-02' } as never,
        resourceIndicators: {
          enabled: true,
          defaultResource: () => resource,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, indicator) => {
            if (indicator !== resource) throw new errors.InvalidTarget(`tokens are issued for ${resource} only`);
            return { scope: GRANTABLE.join(' '), audience: resource, accessTokenTTL: options.accessTokenTtlSeconds, accessTokenFormat: 'opaque' };
          },
        },
      },
      clientBasedCORS: () => true,
      renderError: async (ctx: KoaContextWithOIDC, out) => {
        ctx.type = 'html';
        ctx.body = `<!doctype html><title>Authorization failed</title><h1>Authorization failed</h1><p>${escapeHtml(out.error_description ?? out.error)}</p>`;
      },
    };
    const provider = new Provider(issuer, configuration);
    provider.proxy = true;
    provider.on('grant.revoked', (_ctx: unknown, grantId: string) => {
      void this.options.grants.revoke(grantId).catch(() => undefined);
    });
    provider.on('server_error', (_ctx: unknown, error: Error) => options.logger.error({ err: error }, 'oauth server error'));
    this.provider = provider;
  }

  private ready(): Provider {
    if (!this.provider) throw new ApiError(503, 'oauth_not_ready', 'The authorization server is starting');
    return this.provider;
  }

  /** oidc-provider's own request handler, for the paths under /oauth and its discovery document. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    return this.ready().callback()(req, res);
  }

  /** The runtime credential an access token stands for, when it is valid for the MCP resource and its grant stands. */
  async verify(token: string): Promise<ApiKeyRecord | undefined> {
    const provider = this.provider;
    if (!provider) return undefined;
    const accessToken = await provider.AccessToken.find(token);
    if (!accessToken || accessToken.isExpired || !accessToken.grantId) return undefined;
    const audiences = [accessToken.aud].flat();
    if (!audiences.includes(this.resourceUrl)) return undefined;
    const grant = this.options.grants.use(accessToken.grantId);
    if (!grant) return undefined;
    const scopes = new Set((accessToken.scope ?? '').split(' '));
    return oauthCredential({ id: grant.id, name: grant.clientName, permissions: grant.permissions.filter((p) => scopes.has(p)), sessions: grant.sessions, createdAt: grant.createdAt, createdBy: grant.createdBy });
  }

  async consentRequest(uid: string, req: IncomingMessage, res: ServerResponse): Promise<ConsentRequest> {
    const provider = this.ready();
    const interaction = await this.interaction(provider, uid, req, res);
    const params = interaction.params as { client_id: string; redirect_uri?: string; scope?: string; resource?: string | string[] };
    const client = await provider.Client.find(params.client_id);
    if (!client) throw new ApiError(404, 'client_not_found', 'The client of this request is no longer registered');
    const asked = new Set((params.scope ?? '').split(' '));
    return {
      uid: interaction.uid,
      client: {
        id: client.clientId,
        name: client.clientName ?? client.clientId,
        ...(client.clientUri && { uri: client.clientUri }),
        ...(client.logoUri && { logoUri: client.logoUri }),
        ...(params.redirect_uri && { redirectUri: params.redirect_uri }),
      },
      permissions: GRANTABLE.filter((p) => asked.has(p)),
      resource: [params.resource ?? this.resourceUrl!].flat()[0],
    };
  }

  /** Finishes the interaction with the admin's decision; answers where the browser goes next. */
  async decide(uid: string, req: IncomingMessage, res: ServerResponse, decision: ConsentDecision, admin: KeyActor): Promise<string> {
    const provider = this.ready();
    const interaction = await this.interaction(provider, uid, req, res);
    const params = interaction.params as { client_id: string; scope?: string };
    if (!decision.approve) {
      void this.options.audit?.record({ actor: { type: 'key', ...admin }, action: 'oauth.grant_denied', target: { type: 'client', id: params.client_id }, result: 'success' });
      return provider.interactionResult(req, res, { error: 'access_denied', error_description: 'The administrator declined the request' }, { mergeWithLastSubmission: false });
    }
    const permissions = decision.permissions ?? [];
    if (!permissions.length || permissions.some((p) => !GRANTABLE.includes(p))) throw new ApiError(400, 'validation_failed', `Grant at least one of ${GRANTABLE.join(', ')}`, { field: 'permissions' });
    const sessions = decision.sessions ?? [];
    if (sessions !== '*' && !sessions.length) throw new ApiError(400, 'validation_failed', 'Grant at least one session (or "*")', { field: 'sessions' });
    const client = await provider.Client.find(params.client_id);
    const accountId = interaction.session?.accountId ?? admin.id;
    const grant = new provider.Grant({ accountId, clientId: params.client_id });
    // every asked scope goes into the protocol grant so the flow completes; the runtime record narrows what is allowed
    const asked = (params.scope ?? '').split(' ').filter(Boolean);
    grant.addResourceScope(this.resourceUrl!, asked.filter((s) => (GRANTABLE as string[]).includes(s)).join(' ') || permissions.join(' '));
    const oidcScopes = asked.filter((s) => s === 'offline_access' || s === 'openid' || (GRANTABLE as string[]).includes(s));
    if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
    const grantId = await grant.save();
    const record: GrantRecord = {
      id: grantId,
      clientId: params.client_id,
      clientName: client?.clientName ?? params.client_id,
      sessions: sessions === '*' ? '*' : [...new Set(sessions)],
      permissions: GRANTABLE.filter((p) => permissions.includes(p)),
      createdAt: new Date().toISOString(),
      createdBy: admin,
    };
    await this.options.grants.save(record);
    void this.options.audit?.record({
      actor: { type: 'key', ...admin },
      action: 'oauth.grant_created',
      target: { type: 'grant', id: grantId },
      result: 'success',
      details: { client: record.clientName, clientId: record.clientId, permissions: record.permissions, sessions: record.sessions === '*' ? ['*'] : record.sessions },
    });
    return provider.interactionResult(req, res, { ...(interaction.prompt.name === 'login' && { login: { accountId } }), consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /** Revokes a grant: its record at once, and every code and token issued under it. */
  async revoke(id: string): Promise<GrantRecord> {
    const record = await this.options.grants.revoke(id);
    const provider = this.provider;
    if (provider) {
      for (const model of [provider.AccessToken, provider.RefreshToken, provider.AuthorizationCode]) await model.revokeByGrantId(id);
      await (await provider.Grant.find(id))?.destroy();
    }
    return record;
  }

  /** The interaction of this browser (its cookie), which must be the one the URL names. */
  private async interaction(provider: Provider, uid: string, req: IncomingMessage, res: ServerResponse) {
    const found = await provider.interactionDetails(req, res).catch(() => undefined);
    if (!found || found.uid !== uid) throw new ApiError(404, 'interaction_not_found', 'This authorization request has expired or was opened in another browser: start again from the client');
    return found;
  }

  private async secrets(jose: Jose): Promise<{ signingKey: Record<string, unknown>; cookieKey: string }> {
    const stored = (await this.options.secrets.get('oauth')) as { signingKey: Record<string, unknown>; cookieKey: string } | undefined;
    if (stored) return stored;
    const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const signingKey = { ...(await jose.exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: randomBytes(8).toString('hex') };
    const made = { signingKey, cookieKey: randomBytes(32).toString('base64url') };
    await this.options.secrets.set('oauth', made);
    return made;
  }
}


function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
