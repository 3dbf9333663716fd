/**
 * Usage and the request log after a scripted run: a contact sends three texts, a key sends two texts and an image,
 * one webhook answers 200 and one 500 (a single attempt each). The counts must match the script exactly.
 */
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';
import { Receiver } from '../helpers/receiver';

const SESSION = 'metered';
const PHONE = '15550201000';
const CONTACT = '15550202000';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

let t: TestRuntime;
const receivers: Receiver[] = [];

beforeAll(async () => {
  t = await startRuntime({ webhookMaxAttempts: 1 });
  t.runtime.sandbox!.createUser({ phone: CONTACT, name: 'Contact' });
  await linkSession(t, SESSION, PHONE);
}, 60_000);
afterAll(async () => {
  for (const receiver of receivers) await receiver.close();
  await t?.close();
});

test('usage per session and key matches a scripted run exactly, and the request log holds each call', async () => {
  const ok = await Receiver.start();
  const failing = await Receiver.start();
  failing.respond = () => 500;
  receivers.push(ok, failing);
  for (const target of [ok, failing]) expect((await t.api('POST', '/api/v1/webhooks', { url: target.url, events: ['message.received'], sessions: [SESSION] })).status).toBe(201);
  const created = await t.api('POST', '/api/v1/keys', { name: 'metered sender', permissions: ['send', 'read'], sessions: [SESSION] });
  const key = created.body.key as string;
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${t.runtime.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'user-agent': 'usage-test/1', ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });

  const sim = t.runtime.sandbox!;
  for (const text of ['one', 'two', 'three']) await sim.sendMessage(CONTACT, PHONE, buildMessage.text(text));
  await until(() => ok.requests.length === 3 && failing.requests.length === 3);
  for (const text of ['reply 1', 'reply 2']) expect((await call('POST', `/api/v1/sessions/${SESSION}/messages/text`, { to: CONTACT, text })).status).toBe(200);
  expect((await call('POST', `/api/v1/sessions/${SESSION}/messages/image`, { to: CONTACT, media: { base64: PNG.toString('base64') } })).status).toBe(200);
  expect((await call('GET', `/api/v1/sessions/${SESSION}/chats?limit=5`)).status).toBe(200);
  expect((await call('GET', `/api/v1/sessions/${SESSION}/chats/nobody@s.whatsapp.net/messages`)).status).toBeGreaterThanOrEqual(400);
  await t.waitForEvent((e) => e.type === 'message.sent' && (e.data as { kind: string }).kind === 'image');

  const usage = (await t.api('GET', `/api/v1/usage?session=${SESSION}`)).body;
  const byKey = Object.fromEntries((usage.rows as { key: string }[]).map((row) => [row.key, row]));
  expect(byKey['-']).toMatchObject({ received: { text: 3 }, sent: { text: 2, image: 1 }, mediaBytesIn: 0, mediaBytesOut: PNG.length, webhookDeliveries: 3, webhookFailures: 3 });
  expect(byKey[created.body.id]).toMatchObject({ apiCalls: 5, received: {}, sent: {} });
  expect(usage.totals).toMatchObject({ received: { text: 3 }, sent: { text: 2, image: 1 }, webhookDeliveries: 3, webhookFailures: 3 });

  const log = (await t.api('GET', `/api/v1/requests?key=${created.body.id}`)).body;
  expect(log.requests.map((r: { method: string; route: string; status: number }) => `${r.method} ${r.route}`)).toEqual([
    'GET /api/v1/sessions/:id/chats/:chatId/messages',
    'GET /api/v1/sessions/:id/chats',
    'POST /api/v1/sessions/:id/messages/image',
    'POST /api/v1/sessions/:id/messages/text',
    'POST /api/v1/sessions/:id/messages/text',
  ]);
  const [failed, , image] = log.requests;
  expect(failed.errorCode).toBeDefined();
  expect(image).toMatchObject({ status: 200, session: SESSION, userAgent: 'usage-test/1' });
  expect(image.requestBytes).toBeGreaterThan(PNG.length);
  expect(image.responseBytes).toBeGreaterThan(0);
  expect(JSON.stringify(log)).not.toContain('limit=5');
  expect((await t.api('GET', '/api/v1/requests?statusClass=4xx&limit=1')).body.requests).toHaveLength(1);
  expect((await call('GET', '/api/v1/usage')).status).toBe(403);
});
