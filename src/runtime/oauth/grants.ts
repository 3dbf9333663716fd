/**
 * oauth/grants: what an admin granted an OAuth client when consenting: which sessions and which permissions, who
 * consented and when, when the grant was last used, and its revocation. oidc-provider keeps the protocol side
 * (codes, tokens, its own Grant); this record is what the runtime authorises a token's requests by.
 */
import type Keyv from 'keyv';
import { ApiError } from '../errors';
import type { ApiKeyRecord, KeyActor, Permission } from '../auth/api-keys';

export const GRANTABLE: Permission[] = ['read', 'send'];

export interface GrantRecord {
  id: string;
  clientId: string;
  clientName: string;
  sessions: '*' | string[];
  permissions: Permission[];
  createdAt: string;
  createdBy: KeyActor;
  lastUsedAt?: string;
  revokedAt?: string;
}

const USE_WRITE_INTERVAL_MS = 60_000;

export class GrantRegistry {
  private readonly grants = new Map<string, GrantRecord>();
  private readonly written = new Map<string, number>();
  private readonly revokedListeners = new Set<(record: GrantRecord) => void>();

  constructor(private readonly kv: Keyv<GrantRecord>) {}

  async load(): Promise<void> {
    for await (const [, value] of this.kv.iterator!(this.kv.namespace)) {
      const record = value as GrantRecord;
      this.grants.set(record.id, record);
    }
  }

  async save(record: GrantRecord): Promise<void> {
    this.grants.set(record.id, record);
    this.written.set(record.id, Date.now());
    await this.kv.set(record.id, record);
  }

  list(): GrantRecord[] {
    return [...this.grants.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(id: string): GrantRecord {
    const record = this.grants.get(id);
    if (!record) throw new ApiError(404, 'grant_not_found', `No OAuth grant "${id}"`);
    return record;
  }

  /** The grant if it may be used now; its use is noted (written back at most once a minute). */
  use(id: string): GrantRecord | undefined {
    const record = this.grants.get(id);
    if (!record || record.revokedAt) return undefined;
    record.lastUsedAt = new Date().toISOString();
    if (Date.now() - (this.written.get(id) ?? 0) >= USE_WRITE_INTERVAL_MS) void this.save(record).catch(() => undefined);
    return record;
  }

  async revoke(id: string): Promise<GrantRecord> {
    const record = this.get(id);
    if (record.revokedAt) return record;
    const revoked = { ...record, revokedAt: new Date().toISOString() };
    await this.save(revoked);
    for (const listener of this.revokedListeners) listener(revoked);
    return revoked;
  }

  onRevoked(listener: (record: GrantRecord) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /** Takes a deleted session out of every grant; a grant for it alone is revoked. */
  async dropSession(session: string): Promise<string[]> {
    const revoked: string[] = [];
    for (const record of this.list()) {
      if (record.sessions === '*' || !record.sessions.includes(session)) continue;
      const sessions = record.sessions.filter((s) => s !== session);
      await this.save({ ...record, sessions });
      if (!sessions.length) revoked.push((await this.revoke(record.id)).id);
    }
    return revoked;
  }
}

/** What an OAuth access token stands for, as the credential the REST API authorises by (it is no stored key). */
export function oauthCredential(credential: Pick<ApiKeyRecord, 'id' | 'name' | 'permissions' | 'sessions' | 'createdAt' | 'createdBy'>): ApiKeyRecord {
  return { ...credential, prefix: 'oauth', hash: '', useCount: 0, source: 'oauth' };
}
