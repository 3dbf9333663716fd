import { createClient } from '@redis/client';
import pino from 'pino';
import { ClusterCoordinator } from '../../src/runtime/cluster/coordinator';
import { LeaseStore } from '../../src/runtime/cluster/leases';
import type { SessionManager } from '../../src/runtime/sessions/manager';
import { portOpenSync } from '../helpers/services';

const REDIS = portOpenSync(6379);
if (!REDIS) process.stdout.write('Redis is not reachable on 127.0.0.1:6379: the coordinator test is SKIPPED\n');
const REDIS_URL = 'redis://127.0.0.1:6379/10';

(REDIS ? describe : describe.skip)('the cluster coordinator on Redis', () => {
  beforeAll(async () => {
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    await redis.flushDb();
    await redis.close();
  });

  test('a placement round that opens sessions for longer than the lease lasts loses none of them: renewals do not wait for it', async () => {
    const leases = new LeaseStore(REDIS_URL, () => undefined);
    await leases.connect();
    const sessions = ['t1', 't2', 't3', 't4', 't5', 't6'];
    const started = new Set<string>();
    // the sessions' sockets: each takes 1.5 s to open, against a lease of 0.6 s
    const manager = {
      sync: async () => sessions,
      list: () => sessions.map((id) => ({ id })),
      find: (id: string) => ({ id, status: 'connected', isRunning: started.has(id), shutdown: async () => undefined, view: () => ({ id }) }),
      reload: async (id: string) => ({ start: async () => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        started.add(id);
      } }),
    } as unknown as SessionManager;
    const coordinator = new ClusterCoordinator(leases, { id: 'solo', address: () => 'http://127.0.0.1:1', leaseTtlMs: 600, drainMs: 100 }, pino({ level: 'silent' }));
    try {
      await coordinator.start(manager);
      expect(started.size).toBe(sessions.length);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(coordinator.counters.lost).toBe(0);
      expect(coordinator.counters.acquired).toBe(sessions.length);
      const owners = await leases.owners(sessions);
      expect(sessions.map((s) => owners.get(s))).toEqual(sessions.map(() => ({ runtime: 'solo', token: 1 })));
    } finally {
      await coordinator.stop();
      await leases.close();
    }
  }, 20_000);
});
