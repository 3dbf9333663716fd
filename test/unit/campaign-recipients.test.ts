import Keyv from 'keyv';
import { writeRecipients } from '../../src/runtime/outbound/campaign-checks';
import { CampaignRecipients, type CampaignRecipient } from '../../src/runtime/outbound/campaign-recipients';
import { turnsDuring } from '../helpers/turns';

describe('campaign recipients', () => {
  test('a long list is written down in order, duplicates marked, and the event loop gets its turns meanwhile', async () => {
    const store = new CampaignRecipients(new Keyv<CampaignRecipient>());
    const given = Array.from({ length: 3_000 }, (_, i) => ({ to: `+1 202 555 ${String(i % 2_900).padStart(4, '0')}` }));
    // the store answers without leaving the turn: only the writer's own yields give the event loop its turns
    const { result: written, turns } = await turnsDuring(() => writeRecipients(store, 'c1', { given }, 1_000, '2026-12-06T00:00:00.000Z'));
    expect(written.total).toBe(3_000);
    expect(written.skipped.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => 2_900 + i));
    expect((await store.range('c1', 2_899, 2)).map((r) => [r.index, r.status])).toEqual([[2_899, 'queued'], [2_900, 'skipped']]);
    expect(turns).toBeGreaterThanOrEqual(5);
  });
});
