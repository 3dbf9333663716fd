/**
 * The outbound queue and campaigns against the simulator through real Baileys. Pacing is checked on a clock the
 * test advances by hand (no sleeping): send times are the clock's time when Baileys reports each message sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { ManualClock } from '../helpers/manual-clock';
import { linkSession, scanSessionQr, startRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';

const ACCOUNT = '15550021000';
const contact = (i: number) => `1555002${String(1001 + i).padStart(4, '0')}`;
const NO_PACING = { minGapMs: 0, maxGapMs: 0, perMinute: null, perHour: null, perDay: null, firstContactsPerDay: null };

describe('outbound queue: pacing, lanes, limits (manual clock)', () => {
  let t: TestRuntime;
  const clock = new ManualClock();
  // a fixed jitter sequence, so the drawn gaps are known
  const jitter = [0, 1, 0.5, 0.25, 0.75];
  let draws = 0;
  const sent: { id: string; to: string; at: number }[] = [];

  beforeAll(async () => {
    t = await startRuntime({}, undefined, { clock, random: () => jitter[draws++ % jitter.length] });
    for (let i = 0; i < 16; i++) t.runtime.sandbox!.createUser({ phone: contact(i), name: `Contact ${i}` });
    await linkSession(t, 'paced', ACCOUNT);
    t.runtime.bus.subscribe((event) => {
      const data = event.data as { messageId: string; chatId: string };
      if (event.type === 'message.sent') sent.push({ id: data.messageId, to: data.chatId, at: clock.now() });
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const api = (method: string, path: string, body?: unknown) => t.api(method, `/api/v1/sessions/paced${path}`, body);
  const settings = (body: object) => api('PATCH', '/outbound/settings', body);

  test('bulk sends keep a jittered gap between min and max, and a per-minute cap holds the rest back', async () => {
    expect((await settings({ minGapMs: 2_000, maxGapMs: 6_000, perMinute: 5, perHour: null, perDay: null, firstContactsPerDay: null })).status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const queued = await api('POST', '/messages/text', { to: contact(i), text: `bulk ${i}`, lane: 'bulk' });
      expect(queued.status).toBe(202);
      expect(queued.body).toMatchObject({ status: 'queued', lane: 'bulk' });
      ids.push(queued.body.id);
    }
    await clock.runUntil(() => ids.every((id) => sent.some((s) => s.id === id)));
    const times = ids.map((id) => sent.find((s) => s.id === id)!.at);
    const gaps = times.slice(1).map((at, i) => at - times[i]);
    // gaps 2-5: drawn from the jitter sequence (min + r * (max - min)); the sixth send waits for the minute cap
    for (const gap of gaps.slice(0, 4)) {
      expect(gap).toBeGreaterThanOrEqual(2_000);
      expect(gap).toBeLessThanOrEqual(6_000);
    }
    expect(new Set(gaps.slice(0, 4)).size).toBeGreaterThan(1);
    expect(times[5] - times[0]).toBeGreaterThanOrEqual(60_000);
    for (let i = 5; i < times.length; i++) expect(times.filter((at) => at > times[i] - 60_000 && at <= times[i]).length).toBeLessThanOrEqual(5);
    // every contact got its message once, in order
    for (let i = 0; i < 7; i++) expect(t.runtime.sandbox!.received(contact(i)).filter((m) => m.text === `bulk ${i}`)).toHaveLength(1);
  });

  test('interactive sends overtake a long bulk backlog; a scheduled send waits for its time', async () => {
    await settings({ minGapMs: 10_000, maxGapMs: 20_000, perMinute: null });
    const backlog: string[] = [];
    for (let i = 0; i < 40; i++) backlog.push((await api('POST', '/messages/text', { to: contact(i % 10), text: `backlog ${i}`, lane: 'bulk' })).body.id);
    const now = await api('POST', '/messages/text', { to: contact(11), text: 'reply right away' });
    expect(now.status).toBe(200);
    expect(now.body.status).toBe('sent');
    await t.runtime.sandbox!.waitForReceived(contact(11), (m) => m.text === 'reply right away');
    const at = new Date(clock.now() + 3_000).toISOString();
    const scheduled = await api('POST', '/messages/text', { to: contact(11), text: 'scheduled', lane: 'interactive', sendAt: at });
    expect(scheduled.status).toBe(202);
    expect(scheduled.body.sendAt).toBe(at);
    const status = (await api('GET', '/outbound')).body;
    expect(status.lanes.bulk.queued).toBeGreaterThanOrEqual(38);
    expect(status.lanes.interactive).toMatchObject({ queued: 1, nextDueAt: at });
    expect(status.usage.perMinute.used).toBeGreaterThan(0);
    await clock.runUntil(() => sent.some((s) => s.id === scheduled.body.id));
    expect(sent.find((s) => s.id === scheduled.body.id)!.at).toBe(Date.parse(at));
    // the scheduled interactive send went before most of the backlog
    expect(backlog.filter((id) => sent.some((s) => s.id === id)).length).toBeLessThan(5);
    // clear the backlog for the next test
    const queue = (await api('GET', '/outbound/queue?lane=bulk&limit=1000')).body;
    expect(queue.total).toBe(backlog.filter((id) => !sent.some((s) => s.id === id)).length);
    for (const item of queue.items) expect((await api('DELETE', `/outbound/queue/${item.id}`)).status).toBe(204);
    expect((await api('DELETE', '/outbound/queue/NOPE')).status).toBe(404);
    const after = (await api('GET', '/outbound')).body;
    expect([after.lanes.interactive.queued, after.lanes.bulk.queued]).toEqual([0, 0]);
  });

  test('queued sends go in the order they fall due, whatever order they were queued in', async () => {
    await settings(NO_PACING);
    const at = (seconds: number) => new Date(clock.now() + seconds * 1_000).toISOString();
    const queue = async (seconds: number, lane: 'bulk' | 'interactive', i: number) => (await api('POST', '/messages/text', { to: contact(i), text: `due in ${seconds}`, lane, sendAt: at(seconds) })).body.id as string;
    // the queue sorts its backlog once between changes: each send queued here arrives after it was sorted
    const bulk = [await queue(50, 'bulk', 0), await queue(40, 'bulk', 1), await queue(30, 'bulk', 2), await queue(20, 'bulk', 3)];
    const interactive = await queue(35, 'interactive', 4);
    const sameTime = [await queue(10, 'bulk', 5), await queue(10, 'bulk', 6)];
    const expected = [...sameTime, bulk[3], bulk[2], interactive, bulk[1], bulk[0]];
    await clock.runUntil(() => expected.every((id) => sent.some((s) => s.id === id)));
    expect(sent.filter((s) => expected.includes(s.id)).map((s) => s.id)).toEqual(expected);
  });

  test('a backlog drained with pacing off leaves the event loop between sends', async () => {
    await settings(NO_PACING);
    const dueAt = new Date(clock.now() + 1_000).toISOString();
    const backlog = new Set<string>();
    for (let i = 0; i < 150; i++) backlog.add((await api('POST', '/messages/text', { to: contact(i % 10), text: `drain ${i}`, lane: 'interactive', sendAt: dueAt })).body.id);
    // sends that returned, counted at each turn of the event loop (not their events, which Baileys may buffer)
    const sock = t.runtime.sessions.get('paced').socket!;
    const sendMessage = sock.sendMessage;
    let returned = 0;
    sock.sendMessage = async (...args) => {
      const result = await sendMessage(...args);
      returned++;
      return result;
    };
    const perTurn: number[] = [];
    let last = 0;
    const watch = () => {
      perTurn.push(returned - last);
      last = returned;
      if (returned < 150) setImmediate(watch);
    };
    setImmediate(watch);
    clock.advance(1_000);
    await until(() => backlog.size === 150 && [...backlog].every((id) => sent.some((s) => s.id === id)));
    sock.sendMessage = sendMessage;
    expect(returned).toBe(150);
    // one or two a turn (without yielding, all but the first few went in one turn)
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(5);
  });

  test('a 463 from WhatsApp pauses the bulk lane and emits session.limited until it is resumed', async () => {
    await settings({ ...NO_PACING, restrictedPauseMs: 3_600_000 });
    const sim = t.runtime.sandbox!;
    sim.restrict(ACCOUNT, 463);
    const first = await api('POST', '/messages/text', { to: contact(3), text: 'restricted 0', lane: 'bulk' });
    const failed = await t.waitForEvent((e) => e.type === 'message.status' && (e.data as { messageId: string; status: string }).messageId === first.body.id && (e.data as { status: string }).status === 'failed');
    expect((failed.data as { reason: string }).reason).toMatch(/^463/);
    const limited = await t.waitForEvent((e) => e.type === 'session.limited' && (e.data as { active: boolean }).active);
    expect(limited.data).toMatchObject({ reason: 'restricted', code: 463, scope: 'bulk' });
    expect(Date.parse((limited.data as { until: string }).until)).toBe(clock.now() + 3_600_000);
    for (let i = 1; i <= 3; i++) await api('POST', '/messages/text', { to: contact(3), text: `restricted ${i}`, lane: 'bulk' });
    clock.advance(30 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const status = (await api('GET', '/outbound')).body;
    expect(status.lanes.bulk.queued).toBe(3);
    expect(status.limits).toEqual([expect.objectContaining({ reason: 'restricted', code: 463 })]);
    sim.restrict(ACCOUNT, undefined);
    const resumed = await api('POST', '/outbound/resume');
    expect(resumed.body.resumed).toBe(true);
    await t.waitForEvent((e) => e.type === 'session.limited' && !(e.data as { active: boolean }).active);
    await clock.runUntil(() => sim.received(contact(3)).filter((m) => /^restricted [1-3]$/.test(m.text ?? '')).length === 3);
  });

  test("WhatsApp's reach-out time lock pauses bulk until it ends", async () => {
    const sim = t.runtime.sandbox!;
    const until = new Date(Math.ceil((clock.now() + 120_000) / 1000) * 1000);
    sim.setReachoutTimelock(ACCOUNT, until);
    const limited = await t.waitForEvent((e) => e.type === 'session.limited' && (e.data as { reason: string; active: boolean }).reason === 'reachout_timelock' && (e.data as { active: boolean }).active);
    expect((limited.data as { until: string }).until).toBe(until.toISOString());
    const queued = await api('POST', '/messages/text', { to: contact(4), text: 'after the lock', lane: 'bulk' });
    await clock.runUntil(() => sent.some((s) => s.id === queued.body.id));
    expect(sent.find((s) => s.id === queued.body.id)!.at).toBeGreaterThanOrEqual(until.getTime());
  });

  test('429 rate-overlimit: the queued send waits out the back-off; a send made now answers 429 and sends nothing', async () => {
    await settings(NO_PACING);
    const sim = t.runtime.sandbox!;
    sim.rateLimit(ACCOUNT, 1);
    const queued = await api('POST', '/messages/text', { to: contact(12), text: 'after the back-off', lane: 'bulk' });
    const limited = await t.waitForEvent((e) => e.type === 'session.limited' && (e.data as { reason: string }).reason === 'rate_limited' && (e.data as { active: boolean }).active);
    const until = Date.parse((limited.data as { until: string }).until);
    expect(until - clock.now()).toBe(60_000);
    expect(limited.data).toMatchObject({ code: 429, scope: 'bulk' });
    sim.rateLimit(ACCOUNT, 1);
    const now = await api('POST', '/messages/text', { to: contact(13), text: 'right now' });
    expect(now.status).toBe(429);
    expect(now.body.error).toMatchObject({ code: 'rate_limited' });
    await clock.runUntil(() => sent.some((s) => s.id === queued.body.id));
    expect(sent.find((s) => s.id === queued.body.id)!.at).toBeGreaterThanOrEqual(until);
    expect(sim.received(contact(13))).toHaveLength(0);
    await api('POST', '/outbound/resume');
  });

  test("WhatsApp's new-chat cap holds bulk sends to new chats only, until the cycle ends", async () => {
    const sim = t.runtime.sandbox!;
    const cycleEnd = new Date(Math.ceil((clock.now() + 600_000) / 1000) * 1000);
    sim.setNewChatCap(ACCOUNT, { used: 5, total: 5, cycleEnd });
    const limited = await t.waitForEvent((e) => e.type === 'session.limited' && (e.data as { reason: string }).reason === 'new_chat_cap');
    expect(limited.data).toMatchObject({ active: true, scope: 'first_contacts', until: cycleEnd.toISOString() });
    const fresh = await api('POST', '/messages/text', { to: contact(14), text: 'first hello', lane: 'bulk' });
    const known = await api('POST', '/messages/text', { to: contact(0), text: 'hello again', lane: 'bulk' });
    await clock.runUntil(() => sent.some((s) => s.id === known.body.id));
    expect(sent.some((s) => s.id === fresh.body.id)).toBe(false);
    await clock.runUntil(() => sent.some((s) => s.id === fresh.body.id));
    expect(sent.find((s) => s.id === fresh.body.id)!.at).toBeGreaterThanOrEqual(cycleEnd.getTime());
  });

  test('typing is shown before a queued text for a time proportional to it; a send that cannot go fails with the reason', async () => {
    await settings({ ...NO_PACING, typing: true, typingMsPerChar: 100, typingMaxMs: 2_000 });
    const sim = t.runtime.sandbox!;
    const queuedAt = clock.now();
    const short = await api('POST', '/messages/text', { to: contact(5), text: 'hello', lane: 'bulk' });
    const long = await api('POST', '/messages/text', { to: contact(5), text: 'x'.repeat(500), lane: 'bulk' });
    await clock.runUntil(() => sent.some((s) => s.id === long.body.id));
    expect(sent.find((s) => s.id === short.body.id)!.at - queuedAt).toBe(500);
    expect(sent.find((s) => s.id === long.body.id)!.at - sent.find((s) => s.id === short.body.id)!.at).toBe(2_000);
    await until(() => sim.user(contact(5)).chatStates.filter((c) => c.state === 'composing').length >= 2, 5_000);
    expect(sim.user(contact(5)).chatStates.map((c) => c.state)).toEqual(['composing', 'paused', 'composing', 'paused']);
    await settings({ typing: false });

    const nobody = await api('POST', '/messages/text', { to: '+1 555 009 9999', text: 'to nobody', lane: 'bulk' });
    expect(nobody.status).toBe(202);
    const failed = await t.waitForEvent((e) => e.type === 'message.status' && (e.data as { messageId: string }).messageId === nobody.body.id);
    expect(failed.data).toMatchObject({ status: 'failed', reason: expect.stringContaining('not on WhatsApp') });
    expect((await api('GET', '/outbound')).body.lanes.bulk.queued).toBe(0);
  });

  test('bad queue requests are refused with a reason', async () => {
    expect((await api('POST', '/messages/text', { to: contact(1), text: 'x', lane: 'sometime' })).status).toBe(400);
    expect((await api('POST', '/messages/text', { to: contact(1), text: 'x', sendAt: 'tomorrow' })).status).toBe(400);
    const wait = await api('POST', '/messages/text', { to: contact(1), text: 'x', lane: 'bulk', waitForReply: { responseType: 'freeText', textUrl: 'http://127.0.0.1:9/t' } });
    expect(wait.status).toBe(400);
    expect(wait.body.error.message).toContain('cannot be queued');
    expect((await settings({ minGapMs: 5_000, maxGapMs: 1_000 })).status).toBe(400);
    expect((await settings({ perMinute: 0 })).status).toBe(400);
    expect((await settings({ colour: 'red' })).status).toBe(400);
    expect((await t.api('GET', '/api/v1/sessions/nope/outbound')).status).toBe(404);
  });
});

describe('campaigns', () => {
  let t: TestRuntime;
  const CAMPAIGN_ACCOUNT = '15550031000';
  const member = (i: number) => `1555003${String(1001 + i).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await startRuntime();
    for (let i = 0; i < 190; i++) t.runtime.sandbox!.createUser({ phone: member(i), name: `M${i}` });
    await linkSession(t, 'campaigns', CAMPAIGN_ACCOUNT);
    await t.api('PATCH', '/api/v1/sessions/campaigns/outbound/settings', NO_PACING);
    // 190 simulated phones make their Signal keys first: on two busy cores that alone can take half a minute
  }, 90_000);
  afterAll(async () => {
    await t.close();
  });

  test('200 recipients, 10 not on WhatsApp: 190 personalised messages sent, 10 skipped, progress and a summary', async () => {
    const recipients = [
      ...Array.from({ length: 190 }, (_, i) => ({ to: `+${member(i)}`, variables: { name: `Member ${i}`, code: i } })),
      ...Array.from({ length: 10 }, (_, i) => ({ to: `+1555009${String(9000 + i)}`, variables: { name: `Ghost ${i}`, code: -1 } })),
    ];
    const created = await t.api('POST', '/api/v1/sessions/campaigns/campaigns', { name: 'Spring', template: { kind: 'text', text: 'Hello {{name}}, your code is {{ code }}' }, recipients }, { 'idempotency-key': 'spring-1' });
    expect(created.status).toBe(201);
    expect(created.body.skipped).toHaveLength(10);
    expect(created.body.skipped.every((s: { reason: string }) => /not on WhatsApp/.test(s.reason))).toBe(true);
    const id = created.body.campaign.id;
    // the same request again is the same campaign
    const again = await t.api('POST', '/api/v1/sessions/campaigns/campaigns', { name: 'Spring', template: { kind: 'text', text: 'Hello {{name}}, your code is {{ code }}' }, recipients }, { 'idempotency-key': 'spring-1' });
    expect(again.body.campaign.id).toBe(id);
    const summary = await t.waitForEvent((e) => e.type === 'campaign.completed' && (e.data as { campaignId: string }).campaignId === id, 60_000);
    expect(summary.data).toMatchObject({ status: 'completed', total: 200 });
    const counts = (summary.data as { counts: Record<string, number> }).counts;
    expect(counts.skipped).toBe(10);
    expect(counts.sent + counts.delivered + counts.read).toBe(190);
    expect(counts.failed).toBe(0);
    for (let i = 0; i < 190; i++) {
      // sent means handed to WhatsApp: the phone may get the last ones a moment later
      await t.runtime.sandbox!.waitForReceived(member(i), (m) => !!m.text?.startsWith('Hello'));
      const got = t.runtime.sandbox!.received(member(i)).filter((m) => m.text?.startsWith('Hello'));
      expect(got.map((m) => m.text)).toEqual([`Hello Member ${i}, your code is ${i}`]);
    }
    // delivery receipts move recipients on
    await until(async () => (await t.api('GET', `/api/v1/sessions/campaigns/campaigns/${id}`)).body.counts.delivered === 190, 10_000);
    const skipped = await t.api('GET', `/api/v1/sessions/campaigns/campaigns/${id}/recipients?status=skipped`);
    expect(skipped.body.total).toBe(10);
    expect(t.events.filter((e) => e.type === 'campaign.recipient' && (e.data as { campaignId: string; status: string }).campaignId === id && (e.data as { status: string }).status === 'sent')).toHaveLength(190);
    expect((await t.api('GET', '/api/v1/sessions/campaigns/campaigns')).body.campaigns.map((c: { id: string }) => c.id)).toContain(id);
  }, 90_000);

  test('pause holds a campaign, resume continues it, cancel drops what is left; recipients missing a variable are skipped', async () => {
    await t.api('PATCH', '/api/v1/sessions/campaigns/outbound/settings', { minGapMs: 300, maxGapMs: 300 });
    const recipients = Array.from({ length: 12 }, (_, i) => ({ to: member(i), variables: i === 11 ? {} : { name: `P${i}` } }));
    const created = await t.api('POST', '/api/v1/sessions/campaigns/campaigns', { template: { kind: 'text', text: 'Hi {{name}}' }, recipients });
    const id = created.body.campaign.id;
    expect(created.body.skipped).toEqual([{ index: 11, to: member(11), reason: 'missing variable "name"' }]);
    await until(async () => (await t.api('GET', `/api/v1/sessions/campaigns/campaigns/${id}`)).body.counts.queued <= 9, 10_000);
    expect((await t.api('POST', `/api/v1/sessions/campaigns/campaigns/${id}/pause`)).body.status).toBe('paused');
    const paused = (await t.api('GET', `/api/v1/sessions/campaigns/campaigns/${id}`)).body.counts.queued;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await t.api('GET', `/api/v1/sessions/campaigns/campaigns/${id}`)).body.counts.queued).toBe(paused);
    expect((await t.api('POST', `/api/v1/sessions/campaigns/campaigns/${id}/pause`)).status).toBe(409);
    await t.api('POST', `/api/v1/sessions/campaigns/campaigns/${id}/resume`);
    await until(async () => (await t.api('GET', `/api/v1/sessions/campaigns/campaigns/${id}`)).body.counts.queued < paused, 10_000);
    const cancelled = await t.api('POST', `/api/v1/sessions/campaigns/campaigns/${id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.counts.queued).toBe(0);
    expect(cancelled.body.counts.cancelled).toBeGreaterThan(0);
    const done = await t.waitForEvent((e) => e.type === 'campaign.completed' && (e.data as { campaignId: string }).campaignId === id);
    expect(done.data).toMatchObject({ status: 'cancelled' });
    const sentCount = 11 - cancelled.body.counts.cancelled;
    const received = () => Array.from({ length: 11 }, (_, i) => t.runtime.sandbox!.received(member(i)).filter((m) => m.text === `Hi P${i}`).length).reduce((a, b) => a + b, 0);
    await until(() => received() >= sentCount, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received()).toBe(sentCount);
  }, 60_000);

  test('a media campaign: the file is stored once and every recipient gets it with a personal caption', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
    const created = await t.api('POST', '/api/v1/sessions/campaigns/campaigns', {
      template: { kind: 'image', caption: 'For {{name}}', media: { base64: png.toString('base64'), mimetype: 'image/png' } },
      recipients: [{ to: member(20), variables: { name: 'Ola' } }, { to: member(21), variables: { name: 'Per' } }],
    });
    expect(created.status).toBe(201);
    const sim = t.runtime.sandbox!;
    for (const [i, name] of [[20, 'Ola'], [21, 'Per']] as const) {
      const got = await sim.waitForReceived(member(i), (m) => m.message.imageMessage?.caption === `For ${name}`, 10_000);
      expect(await sim.downloadMedia(got.message)).toEqual(png);
    }
    await t.waitForEvent((e) => e.type === 'campaign.completed' && (e.data as { campaignId: string }).campaignId === created.body.campaign.id);
  });

  test("deleting a session drops its queued sends and cancels its campaigns", async () => {
    await linkSession(t, 'doomed', '15550032000');
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await t.api('POST', '/api/v1/sessions/doomed/messages/text', { to: member(0), text: 'never', sendAt: later });
    const created = await t.api('POST', '/api/v1/sessions/doomed/campaigns', { template: { kind: 'text', text: 'never either' }, recipients: [{ to: member(1) }], sendAt: later });
    expect(await t.runtime.outbound.list('doomed')).toHaveLength(2);
    expect((await t.api('DELETE', '/api/v1/sessions/doomed')).status).toBe(204);
    expect(await t.runtime.outbound.list('doomed')).toHaveLength(0);
    const done = await t.waitForEvent((e) => e.type === 'campaign.completed' && (e.data as { campaignId: string }).campaignId === created.body.campaign.id);
    expect(done.data).toMatchObject({ status: 'cancelled', counts: { cancelled: 1 } });
  });

  test('bad campaign requests are refused', async () => {
    const post = (body: unknown) => t.api('POST', '/api/v1/sessions/campaigns/campaigns', body);
    expect((await post({ template: { kind: 'text' }, recipients: [{ to: member(0) }] })).status).toBe(400);
    expect((await post({ template: { kind: 'image', caption: 'x' }, recipients: [{ to: member(0) }] })).status).toBe(400);
    expect((await post({ template: { kind: 'text', text: 'x' }, recipients: [] })).status).toBe(400);
    expect((await post({ template: { kind: 'fax', text: 'x' }, recipients: [{ to: member(0) }] })).status).toBe(400);
    expect((await t.api('GET', '/api/v1/sessions/campaigns/campaigns/cmp_nope')).status).toBe(404);
  });
});

describe('outbound queue across a restart', () => {
  test('100 queued sends: the runtime stops midway, a new one sends the rest; none lost, none twice', async () => {
    const sim = await Simulator.start();
    const dataDir = mkdtempSync(join(tmpdir(), 'wa-queue-restart-'));
    const config = { sandbox: false, sandboxUrl: sim.url, sandboxRootKey: sim.rootPublicKeyBase64, sandboxMediaCa: sim.media.certificatePem };
    const RECIPIENT = '15550041001';
    sim.createUser({ phone: RECIPIENT, name: 'Rae' });
    try {
      let t = await startRuntime(config, dataDir);
      await t.api('POST', '/api/v1/sessions', { id: 'restart' });
      await scanSessionQr(t, sim, 'restart', '15550041000');
      await t.waitForEvent((e) => e.type === 'session.status' && (e.data as { status: string }).status === 'connected', 10_000);
      await t.api('PATCH', '/api/v1/sessions/restart/outbound/settings', { ...NO_PACING, minGapMs: 40, maxGapMs: 40 });
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) ids.push((await t.api('POST', '/api/v1/sessions/restart/messages/text', { to: RECIPIENT, text: `queued ${i}`, lane: 'bulk' }, { 'idempotency-key': `q-${i}` })).body.id);
      await until(() => sim.received(RECIPIENT).length >= 20, 20_000);
      await t.close({ keepData: true });
      const before = sim.received(RECIPIENT).length;
      expect(before).toBeLessThan(100);

      t = await startRuntime(config, dataDir);
      // a retried request after the restart is the same queued send, not a new one
      const retry = await t.api('POST', '/api/v1/sessions/restart/messages/text', { to: RECIPIENT, text: 'queued 99', lane: 'bulk' }, { 'idempotency-key': 'q-99' });
      expect(retry.body.id).toBe(ids[99]);
      await until(() => sim.received(RECIPIENT).length >= 100, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await t.close();
      const received = sim.received(RECIPIENT);
      expect(received).toHaveLength(100);
      expect(new Set(received.map((m) => m.id))).toEqual(new Set(ids));
      expect(received.map((m) => m.text)).toEqual(ids.map((_, i) => `queued ${i}`));
    } finally {
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
