import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, type OutboxRecord } from '../../src/runtime/delivery/outbox';
import type { RuntimeEvent } from '../../src/runtime/events/schema';
import { createStore, type Store } from '../../src/runtime/store';
import { until } from '../helpers/until';

const event = (id: string, session = 's1'): RuntimeEvent => ({ id, type: 'message.received', session, timestamp: new Date().toISOString(), data: {} as RuntimeEvent['data'] });
const deliver = (record: OutboxRecord) => {
  record.targets.w1 = { ...record.targets.w1, status: 'delivered', deliveredAt: new Date().toISOString() };
};

describe('outbox delivery states', () => {
  let dir: string;
  let store: Store;
  let outbox: Outbox;
  const stored = async (seq: number) => (await store.namespace<OutboxRecord>('outbox', { plainJson: true }).get(String(seq).padStart(15, '0')))?.targets.w1.status;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wa-outbox-'));
    store = createStore({ dataDir: dir });
    outbox = new Outbox(store.namespace('outbox', { plainJson: true }), store.namespace('outbox-meta', { plainJson: true }), 60_000);
    await outbox.init();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a new event is written before append returns; a changed state is read at once and written soon after', async () => {
    const record = (await outbox.append(event('evt_a'), ['w1']))!;
    expect(await stored(record.seq)).toBe('pending');
    deliver(record);
    outbox.saveSoon(record);
    expect((await outbox.get(record.seq))?.targets.w1.status).toBe('delivered');
    expect(await stored(record.seq)).toBe('pending');
    await until(async () => (await stored(record.seq)) === 'delivered', 2000, 5);
  });

  test('reading every record and the final flush write the waiting states; a deleted session is not written back', async () => {
    const kept = (await outbox.append(event('evt_b'), ['w1']))!;
    const dropped = (await outbox.append(event('evt_c', 's2'), ['w1']))!;
    deliver(kept);
    outbox.saveSoon(kept);
    expect((await outbox.all()).map((r) => r.targets.w1.status)).toEqual(['delivered', 'pending']);
    expect(await stored(kept.seq)).toBe('delivered');
    await outbox.dropSession('s2');
    deliver(dropped);
    outbox.saveSoon(dropped);
    const late = (await outbox.append(event('evt_d'), ['w1']))!;
    deliver(late);
    outbox.saveSoon(late);
    await outbox.flush();
    expect(await stored(late.seq)).toBe('delivered');
    expect(await stored(dropped.seq)).toBeUndefined();
  });
});
