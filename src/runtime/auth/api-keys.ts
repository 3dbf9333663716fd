/**
 * auth/: API keys. Keys are 32 random bytes shown once at creation; only their SHA-256 is stored (a key has far too
 * much entropy for a slow password hash to add anything). Verification compares hashes in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Keyv from 'keyv';

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: 'admin';
  hash: string;
  createdAt: string;
  /** `configured`: WA_ADMIN_API_KEY (a new one replaces it); `generated`: made at the first start, shown once. */
  source?: 'configured' | 'generated';
}

const KEY_PREFIX = 'wa_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export class ApiKeys {
  constructor(private readonly kv: Keyv<ApiKeyRecord>) {}

  /**
   * Makes sure an admin key exists. Returns the plaintext only when this call created it from a generated key,
   * so that the caller can show it once; a configured key is stored (hashed) but never echoed.
   */
  async ensureAdminKey(configured?: string): Promise<{ created: boolean; plaintext?: string }> {
    if (configured) {
      const hash = hashApiKey(configured);
      // a new configured key replaces the one configured before: rotating WA_ADMIN_API_KEY revokes the old one
      const replaced: string[] = [];
      for await (const [, record] of this.kv.iterator!(this.kv.namespace)) {
        const stored = record as ApiKeyRecord;
        if (stored.source === 'configured' && stored.hash !== hash) replaced.push(stored.hash);
      }
      for (const old of replaced) await this.kv.delete(old);
      if (!(await this.kv.get(hash))) await this.put('admin', hash, 'configured');
      return { created: false };
    }
    for await (const [, record] of this.kv.iterator!(this.kv.namespace)) {
      if ((record as ApiKeyRecord).role === 'admin') return { created: false };
    }
    const plaintext = generateApiKey();
    await this.put('admin', hashApiKey(plaintext), 'generated');
    return { created: true, plaintext };
  }

  async verify(presented: string | undefined): Promise<ApiKeyRecord | undefined> {
    if (!presented) return undefined;
    const hash = hashApiKey(presented);
    const record = await this.kv.get(hash);
    if (!record) return undefined;
    return timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex')) ? record : undefined;
  }

  private async put(name: string, hash: string, source: ApiKeyRecord['source']): Promise<void> {
    const record: ApiKeyRecord = { id: hash.slice(0, 12), name, role: 'admin', hash, createdAt: new Date().toISOString(), source };
    await this.kv.set(hash, record);
  }
}
