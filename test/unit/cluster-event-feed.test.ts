import { createClient } from '@redis/client';
import { ClusterEventFeed } from '../../src/runtime/cluster/event-feed';
import type { RuntimeEvent } from '../../src/runtime/events/schema';
import { portOpenSync } from '../helpers/services';
import { until } from '../helpers/until';

const REDIS = portOpenSync(6379);
if (!REDIS) process.stdout.write('Redis is not reachable on 127.0.0.1:6379: the cluster event stream tests are SKIPPED\n');
const REDIS_URL = 'redis://127.0.0.1:6379/9';

const eventOf = (n: number, session: string): RuntimeEvent => ({ id: `evt_${n}`, type: 'message.received', session, timestamp: new Date().toISOString(), data: { n } }) as unknown as RuntimeEvent;

(REDIS ? describe : describe.skip)('the cluster event stream on Redis', () => {
  const feeds: ClusterEventFeed[] = [];
  const feed = async () => {
    const created = new ClusterEventFeed(REDIS_URL, (error) => {
      throw error;
    });
    await created.start();
    feeds.push(created);
    return created;
  };
  beforeAll(async () => {
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    await redis.flushDb();
    await redis.close();
  });
  afterAll(async () => {
    for (const f of feeds) await f.stop();
  });

  test('what two runtimes publish reaches both, in one order; a runtime started later resumes after any retained event', async () => {
    const [a, b] = [await feed(), await feed()];
    const seen = { a: [] as string[], b: [] as string[] };
    a.subscribe((event) => seen.a.push(event.id));
    b.subscribe((event) => seen.b.push(event.id));
    for (let n = 0; n < 300; n++) (n % 2 ? a : b).publish(eventOf(n, n % 2 ? 's-a' : 's-b'));
    await until(() => seen.a.length === 300 && seen.b.length === 300, 10_000);
    expect(seen.a).toEqual(seen.b);
    expect(new Set(seen.a).size).toBe(300);

    const late = await feed();
    const resumeFrom = seen.a[49];
    const position = await late.positionOf(resumeFrom);
    expect(position).toBeDefined();
    const after: string[] = [];
    for await (const event of late.eventsAfter(position!)) after.push(event.id);
    expect(after).toEqual(seen.a.slice(50));
    expect(await late.positionOf('evt_unknown')).toBeUndefined();
    // one that read the event live finds it without a search, at the same place
    expect(await a.positionOf(resumeFrom)).toBe(position);
  });
});
