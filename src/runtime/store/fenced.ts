/**
 * store/fenced: writes that only the current owner of a session may make (cluster mode, Redis). Each write of a
 * guarded namespace is one Lua script that first compares the session's lease with the value the writer holds and
 * refuses the write when it changed: a runtime that lost a session (paused, cut off, too slow to renew) cannot
 * overwrite what the new owner wrote, whatever its timers believe.
 */
import type KeyvRedis from '@keyv/redis';

/** The lease key to check and the value it must hold; undefined: this runtime holds no lease, every write fails. */
export type WriteGuard = () => { key: string; value: string } | undefined;

export class FencedWriteError extends Error {
  constructor(namespace: string) {
    super(`refused a write to "${namespace}": this runtime no longer owns the session`);
  }
}

/** How every fenced script starts: KEYS[1] is the session's lease, ARGV[1] the value the writer holds. */
const CHECK = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
`;
const SET = `local ttl = ARGV[2]
for i = 2, #KEYS do
  if ttl == '' then redis.call('SET', KEYS[i], ARGV[i + 1]) else redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ttl) end
end
return 1`;
const DELETE = `local n = 0
for i = 2, #KEYS do n = n + redis.call('DEL', KEYS[i]) end
return n`;

interface EvalClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * Runs `body` (a Lua script whose own keys start at KEYS[2] and arguments at ARGV[2]) only while the guard's lease
 * holds; answers what it returns, or throws FencedWriteError naming `name`.
 */
export async function fencedEval(client: EvalClient, name: string, guard: WriteGuard, body: string, keys: string[], args: string[]): Promise<number> {
  const lease = guard();
  if (!lease) throw new FencedWriteError(name);
  const answer = Number(await client.eval(CHECK + body, { keys: [lease.key, ...keys], arguments: [lease.value, ...args] }));
  if (answer < 0) throw new FencedWriteError(name);
  return answer;
}

type Entry = { key: string; value: unknown; ttl?: number };

/** Replaces the adapter's writes with guarded ones (reads are untouched). */
export function fenceAdapter(adapter: KeyvRedis<unknown>, namespace: string, guard: WriteGuard): KeyvRedis<unknown> {
  const prefixed = (key: string) => adapter.createKeyPrefix(key, adapter.namespace);
  const run = async (script: string, keys: string[], values: string[], ttl?: number) =>
    fencedEval(await adapter.getClient(), namespace, guard, script, keys, [ttl ? String(ttl) : '', ...values]);
  // one TTL per script: entries are grouped by theirs (Keyv gives every entry of a call the same one)
  const setEntries = async (entries: Entry[]) => {
    const byTtl = new Map<number | undefined, Entry[]>();
    for (const entry of entries) byTtl.set(entry.ttl, [...(byTtl.get(entry.ttl) ?? []), entry]);
    for (const [ttl, group] of byTtl) await run(SET, group.map((e) => prefixed(e.key)), group.map((e) => String(e.value)), ttl);
  };
  Object.assign(adapter, {
    set: (key: string, value: unknown, ttl?: number) => setEntries([{ key, value, ttl }]),
    setMany: (entries: Entry[]) => setEntries(entries),
    delete: async (key: string) => (await run(DELETE, [prefixed(key)], [])) > 0,
    deleteMany: async (keys: string[]) => (await run(DELETE, keys.map(prefixed), [])) > 0,
  });
  return adapter;
}
