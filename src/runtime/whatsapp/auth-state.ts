/**
 * whatsapp/auth-state: Baileys' auth state (creds + Signal keys) in one Keyv namespace per session. Values go
 * through BufferJSON (the store's serialiser), each `keys.set` batch is one atomic write, and
 * `app-state-sync-key` values are revived into protobuf objects as Baileys' own file store does.
 */
import type Keyv from 'keyv';
import type { Baileys } from './baileys';

type AuthenticationCreds = ReturnType<Baileys['initAuthCreds']>;

export interface KeyvAuthState {
  state: { creds: AuthenticationCreds; keys: { get: (type: string, ids: string[]) => Promise<Record<string, unknown>>; set: (data: Record<string, Record<string, unknown> | undefined>) => Promise<void> } };
  saveCreds(): Promise<void>;
  /** Deletes creds and every key of the session (logout). */
  clear(): Promise<void>;
  /** Write counters since creation, for measurements. */
  stats: { keyWrites: number; keyDeletes: number; batches: number; credsWrites: number };
}

const CREDS_KEY = 'creds';

export async function keyvAuthState(b: Baileys, kv: Keyv): Promise<KeyvAuthState> {
  const stored = (await kv.get(CREDS_KEY)) as AuthenticationCreds | undefined;
  const creds: AuthenticationCreds = stored ?? b.initAuthCreds();
  const stats = { keyWrites: 0, keyDeletes: 0, batches: 0, credsWrites: 0 };
  return {
    stats,
    state: {
      creds,
      keys: {
        async get(type, ids) {
          if (!ids.length) return {};
          const values = await kv.getMany(ids.map((id) => `${type}:${id}`));
          const out: Record<string, unknown> = {};
          ids.forEach((id, index) => {
            let value = values[index];
            if (value === undefined || value === null) return;
            if (type === 'app-state-sync-key') value = b.proto.Message.AppStateSyncKeyData.fromObject(value as object);
            out[id] = value;
          });
          return out;
        },
        async set(data) {
          const writes: { key: string; value: unknown }[] = [];
          const deletes: string[] = [];
          for (const [type, entries] of Object.entries(data)) {
            for (const [id, value] of Object.entries(entries ?? {})) {
              if (value === null || value === undefined) deletes.push(`${type}:${id}`);
              else writes.push({ key: `${type}:${id}`, value });
            }
          }
          stats.batches++;
          stats.keyWrites += writes.length;
          stats.keyDeletes += deletes.length;
          if (writes.length) await kv.setMany(writes);
          if (deletes.length) await kv.deleteMany(deletes);
        },
      },
    },
    async saveCreds() {
      stats.credsWrites++;
      await kv.set(CREDS_KEY, creds);
    },
    async clear() {
      await kv.clear();
    },
  };
}
