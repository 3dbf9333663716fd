/**
 * oauth/external: access tokens from an identity provider the user already runs (Keycloak, Auth0, Entra ID...):
 * JWTs checked with `jose` against the provider's JWKS (fetched through the outbound-URL guard), its issuer and the
 * MCP resource as audience. Permissions come from the `scope` (or `scp`) claim, sessions from a configurable claim
 * (`whatsapp_sessions`: a list of session ids or "*"); a token without that claim sees no session.
 */
import type { ApiKeyRecord, Permission } from '../auth/api-keys';
import { guardedFetch, type UrlPolicy } from '../net/guard';
import { oauthCredential } from './grants';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });

export interface ExternalIssuer {
  issuer: string;
  /** Where the provider publishes its keys; read from its discovery document when absent. */
  jwksUrl?: string;
  /** The `aud` tokens must carry; the MCP resource URL when absent. */
  audience?: string;
  sessionsClaim: string;
}

const EXTERNAL_PERMISSIONS: Permission[] = ['read', 'send', 'manage'];

export class ExternalTokens {
  private jwks?: ReturnType<Jose['createRemoteJWKSet']>;
  private jose?: Jose;

  constructor(
    private readonly config: ExternalIssuer,
    private readonly policy: UrlPolicy,
  ) {}

  async start(resource: string): Promise<void> {
    const jose = (this.jose = (await import('jose')) as Jose);
    this.config.audience ??= resource;
    const jwksUrl = this.config.jwksUrl ?? (await this.discoverJwks());
    const fetchThroughGuard = (async (url: string, init: RequestInit) => guardedFetch(url, { headers: init.headers as Record<string, string>, signal: init.signal ?? undefined }, this.policy)) as never;
    this.jwks = jose.createRemoteJWKSet(new URL(jwksUrl), { [jose.customFetch]: fetchThroughGuard, timeoutDuration: 5000 });
  }

  get issuer(): string {
    return this.config.issuer;
  }

  async verify(token: string): Promise<ApiKeyRecord | undefined> {
    if (!this.jwks || !this.jose || token.split('.').length !== 3) return undefined;
    try {
      const { payload } = await this.jose.jwtVerify(token, this.jwks, { issuer: this.config.issuer, audience: this.config.audience });
      const scopes = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ') : Array.isArray(payload.scp) ? (payload.scp as string[]) : []);
      const claim = payload[this.config.sessionsClaim];
      const sessions = claim === '*' ? '*' : Array.isArray(claim) ? claim.filter((s): s is string => typeof s === 'string') : [];
      const subject = String(payload.client_id ?? payload.azp ?? payload.sub ?? 'external');
      return oauthCredential({ id: `ext:${subject}`, name: subject, permissions: EXTERNAL_PERMISSIONS.filter((p) => scopes.has(p)), sessions, createdAt: new Date((payload.iat ?? 0) * 1000).toISOString() });
    } catch {
      return undefined;
    }
  }

  private async discoverJwks(): Promise<string> {
    const response = await guardedFetch(`${this.config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) }, this.policy);
    const document = (await response.json()) as { jwks_uri?: string };
    if (!response.ok || typeof document.jwks_uri !== 'string') throw new Error(`${this.config.issuer} publishes no jwks_uri in its discovery document`);
    return document.jwks_uri;
  }
}
