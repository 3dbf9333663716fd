/**
 * auth/: API keys and what each may do. A key is 32 random bytes behind a visible prefix (`wa_live_`, or `wa_test_`
 * in sandbox mode), shown once at creation; only its SHA-256 is stored (a key has far too much entropy for a slow
 * password hash to add anything). A key holds permissions (`read`, `send`, `manage`, `admin`, and `metrics` for a
 * Prometheus scraper; admin implies the others) over all sessions or a list of them, may expire, and is revoked at once. Records are cached in memory:
 * this process makes every change, so a lookup per request costs no store read.
 */
import { hash, randomBytes } from 'node:crypto';
import type Keyv from 'keyv';
import { ApiError } from '../errors';

export const PERMISSIONS = ['read', 'send', 'manage', 'admin', 'metrics'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface KeyActor {
  id: string;
  name: string;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The first characters of the key, shown in lists so that people can tell keys apart. */
  prefix: string;
  hash: string;
  permissions: Permission[];
  /** `*`: every session, including ones created later. */
  sessions: '*' | string[];
  createdAt: string;
  createdBy?: KeyActor;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
  useCount: number;
  /**
   * `configured`: WA_ADMIN_API_KEY (a new one replaces it); `generated`: made at the first start; `api`: POST /keys;
   * `oauth`: not a key but an OAuth grant, presented as an access token (never stored here).
   */
  source: 'configured' | 'generated' | 'api' | 'oauth';
}

export interface NewKey {
  name: string;
  permissions: Permission[];
  sessions: '*' | string[];
  expiresAt?: string;
}

export type Verdict = { record: ApiKeyRecord } | { refused: 'unknown' | 'expired' | 'revoked'; record?: ApiKeyRecord };

/** How often a key's last use and count are written back (a key in use would otherwise write on every request). */
const USE_WRITE_INTERVAL_MS = 60_000;

export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

export function allows(record: Pick<ApiKeyRecord, 'permissions'>, permission: Permission): boolean {
  return record.permissions.includes('admin') || record.permissions.includes(permission);
}

export function canSee(record: Pick<ApiKeyRecord, 'sessions'>, session: string): boolean {
  return record.sessions === '*' || record.sessions.includes(session);
}

export class ApiKeys {
  private readonly byHash = new Map<string, ApiKeyRecord>();
  private readonly written = new Map<string, number>();
  private readonly revokedListeners = new Set<(record: ApiKeyRecord) => void>();

  constructor(
    private readonly kv: Keyv<ApiKeyRecord>,
    private readonly options: { prefix: 'wa_live_' | 'wa_test_'; now?: () => number } = { prefix: 'wa_live_' },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async load(): Promise<void> {
    for await (const [, value] of this.kv.iterator!(this.kv.namespace)) {
      const record = upgraded(value as ApiKeyRecord & { role?: 'admin' });
      this.byHash.set(record.hash, record);
    }
  }

  /**
   * Makes sure an admin key exists. Returns the plaintext only when this call generated it, so that the caller can
   * show it once; a configured key is stored (hashed) but never echoed, and replaces the key configured before it.
   */
  async ensureAdminKey(configured?: string): Promise<{ created: boolean; plaintext?: string }> {
    if (configured) {
      const hash = hashApiKey(configured);
      for (const record of this.list()) {
        if (record.source === 'configured' && record.hash !== hash) await this.remove(record);
      }
      if (!this.byHash.has(hash)) await this.save({ ...this.blank('admin', hash, configured.slice(0, 12), 'configured'), permissions: ['admin'], sessions: '*' });
      return { created: false };
    }
    if (this.list().some((record) => record.permissions.includes('admin') && !this.inactive(record))) return { created: false };
    const plaintext = this.newPlaintext();
    await this.save({ ...this.blank('admin', hashApiKey(plaintext), plaintext.slice(0, 12), 'generated'), permissions: ['admin'], sessions: '*' });
    return { created: true, plaintext };
  }

  async create(input: NewKey, createdBy?: KeyActor): Promise<{ record: ApiKeyRecord; plaintext: string }> {
    if (input.permissions.includes('admin') && input.sessions !== '*') throw new ApiError(400, 'validation_failed', 'An admin key covers every session: give "sessions": "*"', { field: 'sessions' });
    if (input.expiresAt && Date.parse(input.expiresAt) <= this.now()) throw new ApiError(400, 'validation_failed', '"expiresAt" must be in the future', { field: 'expiresAt' });
    const plaintext = this.newPlaintext();
    const record: ApiKeyRecord = {
      ...this.blank(input.name, hashApiKey(plaintext), plaintext.slice(0, 12), 'api'),
      permissions: [...new Set(input.permissions)].sort((a, b) => PERMISSIONS.indexOf(a) - PERMISSIONS.indexOf(b)),
      sessions: input.sessions === '*' ? '*' : [...new Set(input.sessions)],
      ...(input.expiresAt && { expiresAt: new Date(input.expiresAt).toISOString() }),
      ...(createdBy && { createdBy }),
    };
    await this.save(record);
    return { record, plaintext };
  }

  list(): ApiKeyRecord[] {
    return [...this.byHash.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  get(id: string): ApiKeyRecord {
    const record = this.list().find((r) => r.id === id);
    if (!record) throw new ApiError(404, 'key_not_found', `No API key "${id}"`);
    return record;
  }

  /** Revokes at once: the next request with the key is refused and its open streams are closed. */
  async revoke(id: string): Promise<ApiKeyRecord> {
    const record = this.get(id);
    if (record.revokedAt) return record;
    const otherAdmins = this.list().filter((r) => r.id !== id && r.permissions.includes('admin') && !this.inactive(r));
    if (record.permissions.includes('admin') && !otherAdmins.length) throw new ApiError(409, 'last_admin_key', 'This is the last admin key: create another admin key before revoking it');
    const revoked = { ...record, revokedAt: new Date(this.now()).toISOString() };
    await this.save(revoked);
    for (const listener of this.revokedListeners) listener(revoked);
    return revoked;
  }

  /** Takes a deleted session out of every key's list; a key that was for it alone is revoked and deleted. */
  async dropSession(session: string): Promise<void> {
    for (const record of this.list()) {
      if (record.sessions === '*' || !record.sessions.includes(session)) continue;
      const sessions = record.sessions.filter((s) => s !== session);
      if (sessions.length) {
        await this.save({ ...record, sessions });
        continue;
      }
      await this.remove(record);
      for (const listener of this.revokedListeners) listener(record);
    }
  }

  onRevoked(listener: (record: ApiKeyRecord) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /** The key's record if it may be used now; its use is counted (written back at most once a minute). */
  verify(presented: string | undefined): Verdict {
    if (!presented) return { refused: 'unknown' };
    const record = this.byHash.get(hashApiKey(presented));
    if (!record) return { refused: 'unknown' };
    const status = this.status(record);
    if (status !== 'active') return { refused: status, record };
    record.useCount++;
    record.lastUsedAt = new Date(this.now()).toISOString();
    if (this.now() - (this.written.get(record.hash) ?? 0) >= USE_WRITE_INTERVAL_MS) void this.save(record).catch(() => undefined);
    return { record };
  }

  /** Writes back the use counts not yet written (at shutdown). */
  async flush(): Promise<void> {
    for (const record of this.byHash.values()) {
      if (record.lastUsedAt && Date.parse(record.lastUsedAt) > (this.written.get(record.hash) ?? 0)) await this.save(record);
    }
  }

  status(record: ApiKeyRecord): 'active' | 'expired' | 'revoked' {
    if (record.revokedAt) return 'revoked';
    return record.expiresAt && Date.parse(record.expiresAt) <= this.now() ? 'expired' : 'active';
  }

  private inactive(record: ApiKeyRecord): boolean {
    return this.status(record) !== 'active';
  }

  private newPlaintext(): string {
    return this.options.prefix + randomBytes(32).toString('base64url');
  }

  private blank(name: string, hash: string, prefix: string, source: ApiKeyRecord['source']): Omit<ApiKeyRecord, 'permissions' | 'sessions'> {
    return { id: `key_${randomBytes(6).toString('hex')}`, name, prefix, hash, createdAt: new Date(this.now()).toISOString(), useCount: 0, source };
  }

  private async save(record: ApiKeyRecord): Promise<void> {
    this.byHash.set(record.hash, record);
    this.written.set(record.hash, this.now());
    await this.kv.set(record.hash, record);
  }

  private async remove(record: ApiKeyRecord): Promise<void> {
    this.byHash.delete(record.hash);
    await this.kv.delete(record.hash);
  }
}

/** Records from before scopes existed were admin keys over every session. */
function upgraded(record: ApiKeyRecord & { role?: 'admin' }): ApiKeyRecord {
  const { role, ...rest } = record;
  return {
    ...rest,
    permissions: rest.permissions ?? (role === 'admin' ? ['admin'] : []),
    sessions: rest.sessions ?? '*',
    prefix: rest.prefix ?? 'wa_',
    useCount: rest.useCount ?? 0,
    source: rest.source ?? 'generated',
  };
}
