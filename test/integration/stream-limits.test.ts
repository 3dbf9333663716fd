/** The event stream under many readers: a cap per key, and a resume that reads only what follows the given id. */
import { MAX_STREAMS_PER_KEY } from '../../src/runtime/http/routes/stream';
import { ADMIN_KEY, startRuntime, type TestRuntime } from '../helpers/runtime';

describe('event stream limits', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime();
  });
  afterAll(async () => {
    await t.close();
  });

  const open = (headers: Record<string, string> = {}) => {
    const controller = new AbortController();
    const response = fetch(`${t.runtime.url}/api/v1/events`, { headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers }, signal: controller.signal });
    return { response, close: () => controller.abort() };
  };

  test(`at most ${MAX_STREAMS_PER_KEY} streams per key: the next one answers 429 until one closes`, async () => {
    const streams = Array.from({ length: MAX_STREAMS_PER_KEY }, () => open());
    for (const stream of streams) expect((await stream.response).status).toBe(200);
    const refused = await fetch(`${t.runtime.url}/api/v1/events`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
    streams[0].close();
    const deadline = Date.now() + 5000;
    let again = open();
    while ((await again.response).status === 429 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = open();
    }
    expect((await again.response).status).toBe(200);
    for (const stream of [...streams.slice(1), again]) stream.close();
  });

  test('the outbox is read from the resumed position on, page by page', async () => {
    const outbox = t.runtime.delivery.outbox;
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) ids.push((await t.runtime.bus.publish('webhook.test', '_runtime', { message: `probe ${i}` })).id);
    const from = outbox.seqOf(ids[99])!;
    const after: string[] = [];
    for await (const { event } of outbox.eventsAfter(from)) if (ids.includes(event.id)) after.push(event.id);
    expect(after).toEqual(ids.slice(100));
  });
});
