/**
 * oauth/adapter: oidc-provider's storage on the runtime's store. Every model (clients, grants, codes, tokens,
 * sessions, interactions) lives in one namespace under the SHA-256 of its id, and a token's own value (`jti`) is
 * not kept in the record: the store holds no usable bearer secret, like the API keys. Records expire with the
 * model's lifetime; indexes by uid and by grant let sessions be found and a grant's tokens revoked at once.
 */
import { createHash } from 'node:crypto';
import type Keyv from 'keyv';
import type { Adapter, AdapterPayload } from 'oidc-provider' with { 'resolution-mode': 'import' };

const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

export type StoredPayload = AdapterPayload & { jtiStripped?: true };

export function keyvAdapter(kv: Keyv<unknown>): (model: string) => Adapter {
  return (model) => {
    const key = (id: string) => `${model}|${hash(id)}`;
    const byUid = (uid: string) => `uid|${model}|${hash(uid)}`;
    const byGrant = (grantId: string) => `grant|${grantId}`;
    return {
      async upsert(id, payload, expiresIn) {
        const ttl = expiresIn ? expiresIn * 1000 : undefined;
        const { jti, ...rest } = payload as AdapterPayload & { jti?: string };
        const stored: StoredPayload = jti === id ? { ...rest, jtiStripped: true } : payload;
        await kv.set(key(id), stored, ttl);
        if (payload.uid) await kv.set(byUid(payload.uid), id, ttl);
        if (payload.grantId) {
          const listed = ((await kv.get(byGrant(payload.grantId))) as string[] | undefined) ?? [];
          if (!listed.includes(key(id))) await kv.set(byGrant(payload.grantId), [...listed, key(id)], ttl && Math.max(ttl, 30 * 86_400_000));
        }
      },
      async find(id) {
        const stored = (await kv.get(key(id))) as StoredPayload | undefined;
        if (!stored) return undefined;
        const { jtiStripped, ...payload } = stored;
        return jtiStripped ? { ...payload, jti: id } : payload;
      },
      async findByUid(uid) {
        const id = (await kv.get(byUid(uid))) as string | undefined;
        return id ? this.find(id) : undefined;
      },
      async findByUserCode() {
        return undefined;
      },
      async consume(id) {
        const stored = (await kv.get(key(id))) as StoredPayload | undefined;
        if (stored) await kv.set(key(id), { ...stored, consumed: Math.floor(Date.now() / 1000) });
      },
      async destroy(id) {
        await kv.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        const listed = ((await kv.get(byGrant(grantId))) as string[] | undefined) ?? [];
        for (const stored of listed) if (stored.startsWith(`${model}|`)) await kv.delete(stored);
      },
    };
  };
}
