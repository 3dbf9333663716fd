/** Cluster mode's pieces: placement rounds converge with few moves; leases and fenced writes on the local Redis. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { place } from '../../src/runtime/cluster/placement';
import { LeaseStore, leaseKey, leaseValue } from '../../src/runtime/cluster/leases';
import { createStore, FencedWriteError } from '../../src/runtime/store';
import { portOpenSync } from '../helpers/services';
import { parseConfig } from '../../src/runtime/config';

const REDIS = portOpenSync(6379);
if (!REDIS) process.stdout.write('Redis is not reachable on 127.0.0.1:6379: the lease and fencing tests are SKIPPED\n');
const REDIS_URL = 'redis://127.0.0.1:6379/8';

/** Runs placement rounds (each runtime in turn, as their timers would) until nothing changes; answers the moves. */
function settle(sessions: string[], runtimes: string[], owners: Map<string, string>): { rounds: number; moves: number } {
  let moves = 0;
  for (let rounds = 1; rounds <= 200; rounds++) {
    let changed = false;
    for (const me of runtimes) {
      const plan = place({ me, runtimes, sessions, owners, maxMoves: 1 });
      for (const s of plan.release) {
        owners.delete(s);
        moves++;
        changed = true;
      }
      for (const s of plan.acquire) {
        if (owners.has(s)) continue;
        owners.set(s, me);
        changed = true;
      }
    }
    if (!changed) return { rounds, moves };
  }
  throw new Error('placement does not settle');
}

const counts = (owners: Map<string, string>, runtimes: string[]) => runtimes.map((r) => [...owners.values()].filter((o) => o === r).length);

describe('placement', () => {
  const sessions = Array.from({ length: 20 }, (_, i) => `s${i}`);

  test('free sessions spread evenly over the live runtimes, each taken by exactly one', () => {
    const owners = new Map<string, string>();
    settle(sessions, ['a', 'b', 'c'], owners);
    expect(owners.size).toBe(20);
    expect(counts(owners, ['a', 'b', 'c']).sort()).toEqual([6, 7, 7]);
  });

  test('a new runtime gets its share by a bounded number of hand-overs, one per runtime and round', () => {
    const owners = new Map<string, string>();
    settle(sessions, ['a', 'b'], owners);
    expect(counts(owners, ['a', 'b'])).toEqual([10, 10]);
    const { moves } = settle(sessions, ['a', 'b', 'c'], owners);
    expect(counts(owners, ['a', 'b', 'c']).sort()).toEqual([6, 7, 7]);
    expect(moves).toBeLessThanOrEqual(7);
  });

  test('sessions of a runtime that is gone (lease expired) are taken by the others', () => {
    const owners = new Map<string, string>();
    settle(sessions, ['a', 'b', 'c'], owners);
    for (const [s, o] of owners) if (o === 'c') owners.delete(s);
    const { moves } = settle(sessions, ['a', 'b'], owners);
    expect(counts(owners, ['a', 'b'])).toEqual([10, 10]);
    expect(moves).toBeLessThanOrEqual(1);
  });

  test('a balanced cluster moves nothing', () => {
    const owners = new Map<string, string>();
    settle(sessions, ['a', 'b', 'c'], owners);
    expect(settle(sessions, ['a', 'b', 'c'], owners).moves).toBe(0);
  });
});

test('the configuration refuses cluster mode without Redis, with the in-process sandbox, and a bad runtime id, naming the field', () => {
  expect(() => parseConfig({ cluster: true })).toThrow(/cluster: cluster mode needs redisUrl/);
  expect(() => parseConfig({ cluster: true, redisUrl: 'redis://127.0.0.1:6379', sandbox: true })).toThrow(/cluster: cluster mode cannot use the in-process sandbox/);
  expect(() => parseConfig({ cluster: true, redisUrl: 'redis://127.0.0.1:6379', clusterRuntimeId: 'a b' })).toThrow(/clusterRuntimeId/);
  expect(() => parseConfig({ cluster: true, redisUrl: 'redis://127.0.0.1:6379', clusterLeaseTtlMs: '5000' as unknown as number })).not.toThrow();
  expect(() => parseConfig({ cluster: true, redisUrl: 'redis://127.0.0.1:6379', clusterLeaseTtlMs: 500 })).toThrow(/clusterLeaseTtlMs/);
  expect(parseConfig({ cluster: true, redisUrl: 'redis://127.0.0.1:6379' }).clusterLeaseTtlMs).toBe(15_000);
});

(REDIS ? describe : describe.skip)('leases and fenced writes on Redis', () => {
  let leases: LeaseStore;
  beforeAll(async () => {
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    await redis.flushDb();
    await redis.close();
    leases = new LeaseStore(REDIS_URL, () => undefined);
    await leases.connect();
  });
  afterAll(async () => {
    await leases.close();
  });

  test('one owner at a time; every new owner holds a larger token; a stale lease cannot be renewed or released', async () => {
    const first = await leases.acquire('s1', 'a', 60_000);
    expect(first).toEqual({ runtime: 'a', token: 1 });
    expect(await leases.acquire('s1', 'b', 60_000)).toBeUndefined();
    expect(await leases.renew('s1', first!, 60_000)).toBe(true);
    await leases.release('s1', first!);
    const second = await leases.acquire('s1', 'b', 60_000);
    expect(second!.token).toBeGreaterThan(first!.token);
    // handed back, not taken over
    expect(second!.takenOver).toBeUndefined();
    expect(await leases.renew('s1', first!, 60_000)).toBe(false);
    await leases.release('s1', first!);
    expect((await leases.owners(['s1', 's2'])).get('s1')).toEqual(second);
    expect((await leases.owners(['s1', 's2'])).has('s2')).toBe(false);
  });

  test('a lease that is not renewed expires and the session can be taken: a failover', async () => {
    await leases.acquire('s3', 'a', 100);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await leases.acquire('s3', 'b', 60_000)).toEqual({ runtime: 'b', token: 2, takenOver: true });
  });

  test('writes of a guarded namespace are refused once the writer\'s lease is no longer the session\'s', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wa-fence-'));
    const store = createStore({ dataDir, redisUrl: REDIS_URL });
    try {
      let held = await leases.acquire('s4', 'a', 60_000);
      const guardOf = (lease: typeof held) => () => lease && { key: leaseKey('s4'), value: leaseValue(lease) };
      const stale = held;
      const kv = store.namespace<string>('auth:s4', { guard: () => guardOf(held)() });
      await kv.set('creds', 'from a');
      await kv.set('many', 'x');
      expect(await kv.get('creds')).toBe('from a');
      // another runtime takes the session over (the first lease expired while its owner was paused, say)
      await leases.release('s4', held!);
      held = await leases.acquire('s4', 'b', 60_000);
      const staleKv = createStore({ dataDir: join(dataDir, 'b'), redisUrl: REDIS_URL }).namespace<string>('auth:s4', { guard: guardOf(stale) });
      await expect(staleKv.set('creds', 'late write from a')).rejects.toThrow(FencedWriteError);
      await expect(staleKv.delete('many')).rejects.toThrow(FencedWriteError);
      expect(await kv.get('creds')).toBe('from a');
      await kv.set('creds', 'from b');
      expect(await kv.get('creds')).toBe('from b');
      await staleKv.disconnect();
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
