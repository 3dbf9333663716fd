/**
 * Cluster mode: three built runtimes as child processes on the local Redis, the simulator in the test process (so
 * it outlives them). Sessions spread over the runtimes with one socket each, any runtime answers for any session,
 * a graceful stop hands sessions over without a second socket (no 440), and a kill -9 has its sessions
 * reconnected on the others within the lease time, without a new QR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { BUILT, startChild, type ChildRuntime } from '../helpers/child-runtime';
import { launchChromium } from '../helpers/browser';
import { Receiver } from '../helpers/receiver';
import { ADMIN_KEY } from '../helpers/runtime';
import { portOpenSync } from '../helpers/services';
import { until } from '../helpers/until';

const REDIS = portOpenSync(6379);
if (!REDIS) process.stdout.write('Redis is not reachable on 127.0.0.1:6379: the cluster tests are SKIPPED\n');
if (!BUILT) process.stdout.write('dist/ is missing: the cluster tests are SKIPPED (run `npm run build` first)\n');

// a database of its own, emptied first: other tests use database 0
const REDIS_URL = 'redis://127.0.0.1:6379/7';
const SESSIONS = Number(process.env.CLUSTER_SESSIONS ?? 20);
const LEASE_TTL_MS = 3000;
const CONTACT = '15550030999';
/** Asks a question in a Send and Wait; its own chat, so the traffic to CONTACT does not answer it. */
const ASKED = '15550030998';
const AUDIENCE = Array.from({ length: 8 }, (_, k) => `155500320${String(k).padStart(2, '0')}`);
const CAMPAIGN_TEXT = 'campaign across a failover';
const phoneOf = (i: number) => `1555003${String(i).padStart(4, '0')}`;
const idOf = (i: number) => `c${i}`;

type ClusterView = { runtimes: { id: string; sessions: number }[]; sessions: { id: string; owner: string | null }[] };

(REDIS && BUILT ? describe : describe.skip)('cluster mode on Redis', () => {
  let sim: Simulator;
  let receiver: Receiver;
  let resumes: Receiver;
  const dirs: string[] = [];
  const runtimes = new Map<string, ChildRuntime>();

  const start = async (id: string) => {
    const dir = mkdtempSync(join(tmpdir(), `wa-cluster-${id}-`));
    dirs.push(dir);
    runtimes.set(id, await startChild(sim, dir, undefined, { WA_CLUSTER: 'true', REDIS_URL, WA_CLUSTER_RUNTIME_ID: id, WA_CLUSTER_LEASE_TTL_MS: String(LEASE_TTL_MS) }));
  };
  const any = () => [...runtimes.values()][0];
  const view = async (via = any()) => (await (await via.api('GET', '/cluster')).json()) as ClusterView;
  const statusOf = async (via: ChildRuntime, session: string) => ((await (await via.api('GET', `/sessions/${session}`)).json()) as { status?: string }).status;
  const allConnected = async (via: ChildRuntime) => (await Promise.all(Array.from({ length: SESSIONS }, (_, i) => statusOf(via, idOf(i))))).every((s) => s === 'connected');
  const oneSocketEach = () => Array.from({ length: SESSIONS }, (_, i) => [...sim.user(phoneOf(i)).devices.values()].filter((d) => d.connection).length).every((n) => n === 1);

  /** The first `count` events a stream on `via` sends (resumed after `lastEventId`), as [event id, message id]. */
  const streamed = async (via: ChildRuntime, query: string, count: number, lastEventId?: string, meanwhile?: () => Promise<unknown>) => {
    const controller = new AbortController();
    const response = await fetch(`${via.url}/api/v1/events?${query}`, { headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(lastEventId && { 'last-event-id': lastEventId }) }, signal: controller.signal });
    await meanwhile?.();
    const seen: [string, string][] = [];
    const reader = response.body!.getReader();
    let buffer = '';
    while (seen.length < count) {
      const { value } = await reader.read();
      buffer += Buffer.from(value!).toString();
      for (const block of buffer.split('\n\n').slice(0, -1)) {
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) seen.push([JSON.parse(data.slice(6)).id, JSON.parse(data.slice(6)).data.messageId]);
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
    }
    controller.abort();
    return seen;
  };

  beforeAll(async () => {
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    await redis.flushDb();
    await redis.close();
    sim = await Simulator.start();
    receiver = await Receiver.start();
    resumes = await Receiver.start();
    for (const phone of [CONTACT, ASKED, ...AUDIENCE]) sim.createUser({ phone });
    for (const id of ['rt-a', 'rt-b', 'rt-c']) await start(id);
  }, 60_000);
  afterAll(async () => {
    for (const runtime of runtimes.values()) runtime.child.kill('SIGKILL');
    await receiver?.close();
    await resumes?.close();
    await sim?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('sessions linked through one runtime spread over all three, one socket each, and any runtime answers for any session', async () => {
    const via = runtimes.get('rt-a')!;
    expect((await via.api('POST', '/webhooks', { url: receiver.url, events: ['message.received'] })).status).toBe(201);
    for (let i = 0; i < SESSIONS; i++) {
      expect((await via.api('POST', '/sessions', { id: idOf(i) })).status).toBe(201);
      await sim.scanQrUntilLinked(async () => {
        const qr = await via.api('GET', `/sessions/${idOf(i)}/qr?format=raw`);
        return qr.status === 200 ? qr.text() : undefined;
      }, phoneOf(i));
    }
    await until(async () => {
      const counts = (await view()).runtimes.map((r) => r.sessions);
      return counts.length === 3 && counts.every((n) => n >= Math.floor(SESSIONS / 3) && n <= Math.ceil(SESSIONS / 3)) && (await allConnected(runtimes.get('rt-c')!));
    }, 90_000, 200).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(await view())}; statuses ${JSON.stringify(await Promise.all(Array.from({ length: SESSIONS }, (_, i) => statusOf(runtimes.get('rt-c')!, idOf(i)))))}; rt-a printed ${runtimes.get('rt-a')!.output().slice(-3000)}`);
    });
    expect(oneSocketEach()).toBe(true);
    // hand-overs close the socket before the lease goes: WhatsApp never saw two sockets of one device
    expect(sim.replacedConnections).toBe(0);
    const owners = (await view()).sessions;
    expect(owners.filter((s) => s.owner).length).toBe(SESSIONS);
    const metrics = await (await fetch(`${via.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text();
    const owned = (await view()).runtimes.find((r) => r.id === 'rt-a')!.sessions;
    expect(metrics).toContain(`wa_cluster_sessions_owned ${owned}`);
    expect(metrics).toMatch(/wa_cluster_leases_total\{event="acquired"\} (\d+)/);
    expect(Number(/wa_cluster_leases_total\{event="released"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    // every runtime lists every session as its owner sees it
    for (const runtime of runtimes.values()) {
      const listed = ((await (await runtime.api('GET', '/sessions')).json()) as { sessions: { id: string; status: string }[] }).sessions;
      expect(listed.filter((l) => l.status === 'connected').length).toBe(SESSIONS);
    }
    // the dashboard's cluster view: three runtimes, every session with its owner
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(via.url);
      await page.getByTestId('api-key').fill(ADMIN_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('nav-cluster').click();
      await page.getByTestId('cluster-runtimes').filter({ hasText: '3' }).waitFor();
      expect(await page.locator('[data-testid="cluster-runtime-table"] tbody tr').count()).toBe(3);
      const shown = await page.locator('[data-testid="cluster-session-table"] tbody tr').allInnerTexts();
      expect(shown).toEqual(owners.map((o) => expect.stringContaining(o.owner!)));
    } finally {
      await browser.close();
    }
    // a session created through one runtime is known to the others at once
    expect((await via.api('POST', '/sessions', { id: 'fresh', start: false })).status).toBe(201);
    expect((await runtimes.get('rt-b')!.api('GET', '/sessions/fresh')).status).toBe(200);
    expect((await via.api('DELETE', '/sessions/fresh')).status).toBe(204);
    // a send through a runtime that does not own the session is forwarded to the one that does
    const target = owners.find((s) => s.owner !== 'rt-b')!;
    const sent = await runtimes.get('rt-b')!.api('POST', `/sessions/${target.id}/messages/text`, { to: CONTACT, text: 'via rt-b' });
    expect(sent.status).toBe(200);
    const { id } = (await sent.json()) as { id: string };
    expect((await sim.waitForReceived(CONTACT, (m) => m.id === id)).text).toBe('via rt-b');
    // the event stream of any runtime carries the events of sessions that run elsewhere, and resumes on any runtime
    const elsewhere = owners.find((s) => s.owner === 'rt-a')!.id;
    const phone = phoneOf(Number(elsewhere.slice(1)));
    const query = `events=message.received&sessions=${elsewhere}`;
    let first = '';
    const [[firstEvent, firstMessage]] = await streamed(runtimes.get('rt-c')!, query, 1, undefined, async () => (first = await sim.sendMessage(CONTACT, phone, buildMessage.text('stream 1'))));
    expect(firstMessage).toBe(first);
    const later = [await sim.sendMessage(CONTACT, phone, buildMessage.text('stream 2')), await sim.sendMessage(CONTACT, phone, buildMessage.text('stream 3'))];
    await until(() => later.every((m) => receiver.delivered().some((r) => r.json.data.messageId === m)), 10_000);
    expect((await streamed(runtimes.get('rt-b')!, query, 2, firstEvent)).map(([, message]) => message)).toEqual(later);
  }, 240_000);

  test('a graceful stop under inbound traffic hands its sessions over without a second socket and without missing a message', async () => {
    const before = sim.replacedConnections;
    const sent: string[] = [];
    let sending = true;
    const traffic = (async () => {
      for (let n = 0; sending; n++) {
        sent.push(await sim.sendMessage(CONTACT, phoneOf(n % SESSIONS), buildMessage.text(`graceful ${n}`)));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await runtimes.get('rt-c')!.kill('SIGTERM')).toBe(0);
    runtimes.delete('rt-c');
    await until(async () => (await view()).sessions.every((s) => s.owner === 'rt-a' || s.owner === 'rt-b') && (await allConnected(any())), 60_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    sending = false;
    await traffic;
    expect(oneSocketEach()).toBe(true);
    expect(sim.replacedConnections).toBe(before);
    const arrived = () => new Set(receiver.delivered().map((r) => r.json.data.messageId as string));
    await until(() => sent.every((id) => arrived().has(id)), 30_000, 100).catch(() => undefined);
    process.stdout.write(`cluster graceful stop: ${sent.length} messages sent meanwhile, ${sent.filter((id) => !arrived().has(id)).length} missing\n`);
    expect(sent.filter((id) => !arrived().has(id))).toEqual([]);
    await start('rt-c');
  }, 120_000);

  test('kill -9 of a runtime under inbound traffic, a paced bulk queue, a campaign and a Send and Wait: its sessions connect on the others within 30 s, every message reaches the webhook once per event id and in its chat\'s order, no queued send goes twice, the campaign completes, the wait resumes', async () => {
    await until(async () => (await view()).runtimes.find((r) => r.id === 'rt-c')?.sessions === Math.floor(SESSIONS / 3), 60_000, 200);
    const victim = 'rt-b';
    const moved = (await view()).sessions.filter((s) => s.owner === victim).map((s) => s.id);
    expect(moved.length).toBeGreaterThan(0);
    // a bulk queue on the victim's sessions, paced so that the kill finds some sent, some waiting
    const bulk: string[] = [];
    for (const session of moved) {
      expect((await any().api('PATCH', `/sessions/${session}/outbound/settings`, { minGapMs: 300, maxGapMs: 600, perMinute: null })).status).toBe(200);
      for (let k = 0; k < 4; k++) {
        const text = `bulk ${session} ${k}`;
        expect((await any().api('POST', `/sessions/${session}/messages/text`, { to: CONTACT, text, lane: 'bulk' })).status).toBe(202);
        bulk.push(text);
      }
    }
    const [campaignSession, waitSession] = [moved[0], moved[moved.length - 1]];
    const created = await any().api('POST', `/sessions/${campaignSession}/campaigns`, { template: { kind: 'text', text: CAMPAIGN_TEXT }, recipients: AUDIENCE.map((to) => ({ to })) });
    expect(created.status).toBe(201);
    const campaignId = ((await created.json()) as { campaign: { id: string } }).campaign.id;
    const question = await any().api('POST', `/sessions/${waitSession}/messages/text`, { to: ASKED, text: 'Which day suits you?', waitForReply: { responseType: 'freeText', textUrl: `${resumes.url}/resume` } });
    expect(question.status).toBe(200);
    const sent: { session: string; id: string; at: number }[] = [];
    let sending = true;
    const traffic = (async () => {
      for (let n = 0; sending; n++) {
        sent.push({ session: idOf(n % SESSIONS), at: Date.now(), id: await sim.sendMessage(CONTACT, phoneOf(n % SESSIONS), buildMessage.text(`m${n}`)) });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const takenOver = async () => (await Promise.all(['rt-a', 'rt-c'].map(async (id) => Number(/wa_cluster_leases_total\{event="taken_over"\} (\d+)/.exec(await (await fetch(`${runtimes.get(id)!.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text())?.[1] ?? 0)))).reduce((a, b) => a + b, 0);
    const takenOverBefore = await takenOver();
    const killedAt = Date.now();
    expect(await runtimes.get(victim)!.kill('SIGKILL')).toBe(null);
    runtimes.delete(victim);
    await until(async () => {
      const owners = (await view()).sessions;
      return moved.every((id) => ['rt-a', 'rt-c'].includes(owners.find((s) => s.id === id)?.owner ?? '')) && (await allConnected(any()));
    }, 30_000, 100);
    const failoverMs = Date.now() - killedAt;
    // the survivors count each of the victim's sessions once as taken over
    expect((await takenOver()) - takenOverBefore).toBe(moved.length);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    sending = false;
    await traffic;
    expect(oneSocketEach()).toBe(true);
    // no QR: every session still has the one linked device it had
    for (let i = 0; i < SESSIONS; i++) expect(sim.user(phoneOf(i)).devices.size).toBe(1);

    await sim.sendMessage(ASKED, phoneOf(Number(waitSession.slice(1))), buildMessage.text('Tuesday'));
    await resumes.waitFor((requests) => requests.some((r) => (r.json as unknown as { text?: string }).text === 'Tuesday'), 30_000);
    expect(resumes.requests).toHaveLength(1);

    const deliveries = () => receiver.delivered().map((r) => ({ messageId: r.json.data.messageId as string, eventId: r.json.id, session: r.json.session }));
    const arrived = () => new Set(deliveries().map((d) => d.messageId));
    await until(() => sent.every((m) => arrived().has(m.id)), 30_000, 100).catch(() => undefined);
    const missing = sent.filter((m) => !arrived().has(m.id));
    const duplicates = deliveries().length - arrived().size;
    const whileDown = sent.filter((m) => moved.includes(m.session) && m.at >= killedAt && m.at <= killedAt + failoverMs).length;
    process.stdout.write(`cluster failover: ${moved.length} sessions reconnected ${failoverMs} ms after the kill; ${sent.length} messages sent (${whileDown} to the moved sessions while they were down), ${missing.length} missing, ${duplicates} delivered twice\n`);
    const owners = (await view()).sessions;
    expect(missing.map((m) => `${m.id} to ${m.session} (${moved.includes(m.session) ? 'moved' : 'stayed'}, now on ${owners.find((o) => o.id === m.session)?.owner}) sent ${m.at - killedAt} ms after the kill`)).toEqual([]);
    // a message delivered twice is the same event both times
    const eventIds = new Map<string, Set<string>>();
    for (const d of deliveries()) eventIds.set(d.messageId, new Set([...(eventIds.get(d.messageId) ?? []), d.eventId]));
    expect([...eventIds.values()].filter((ids) => ids.size > 1)).toEqual([]);
    const outOfPlace = Array.from({ length: SESSIONS }, (_, i) => {
      const order = sent.filter((m) => m.session === idOf(i)).map((m) => m.id);
      // the answer to the Send and Wait came from another contact
      const firsts = [...new Set(deliveries().filter((d) => d.session === idOf(i) && order.includes(d.messageId)).map((d) => d.messageId))];
      return firsts.filter((id, index) => id !== order[index]).length;
    }).reduce((a, b) => a + b, 0);
    process.stdout.write(`cluster failover: ${outOfPlace} messages out of their chat's order at the webhook\n`);
    expect(outOfPlace).toBe(0);

    await until(() => bulk.every((text) => sim.received(CONTACT).some((m) => m.text === text)), 60_000, 100);
    // a send in flight at the kill goes again under its own message id: the phone shows it once, as WhatsApp's apps do
    const copies = (phone: string, text: string) => sim.received(phone).filter((m) => m.text === text);
    const times = bulk.map((text) => new Set(copies(CONTACT, text).map((m) => m.id)).size);
    const repeated = bulk.map((text) => copies(CONTACT, text).length).reduce((a, b) => a + b, 0) - bulk.length;
    process.stdout.write(`cluster failover: ${bulk.length} queued sends, each received under ${JSON.stringify([...new Set(times)])} message id(s); ${repeated} repeated under the same id\n`);
    expect(times.every((n) => n === 1)).toBe(true);
    // the campaign goes on where its session went: each recipient gets it once, the summary counts them all
    await until(() => AUDIENCE.every((phone) => sim.received(phone).some((m) => m.text === CAMPAIGN_TEXT)), 60_000, 100).catch(async (error: Error) => {
      const recipients = await (await any().api('GET', `/sessions/${campaignSession}/campaigns/${campaignId}/recipients`)).text();
      const queued = await (await any().api("GET", `/sessions/${campaignSession}/outbound/queue`)).text();
      throw new Error(`${error.message}: received ${JSON.stringify(AUDIENCE.map((phone) => sim.received(phone).length))}; recipients ${recipients}; queue ${queued}`);
    });
    expect(AUDIENCE.map((phone) => new Set(copies(phone, CAMPAIGN_TEXT).map((m) => m.id)).size)).toEqual(AUDIENCE.map(() => 1));
    const campaign = async () => (await (await any().api('GET', `/sessions/${campaignSession}/campaigns/${campaignId}`)).json()) as { status: string; counts: Record<string, number> };
    await until(async () => (await campaign()).status === 'completed', 30_000, 200);
    const { counts } = await campaign();
    expect(counts.sent + counts.delivered + counts.read).toBe(AUDIENCE.length);
  }, 240_000);
});
