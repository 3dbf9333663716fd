import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Receiver } from '../helpers/receiver';
import { ADMIN_KEY, linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

const ACCOUNT = '15550010000';
const ALICE = '15550010001';
const BOB = '15550010002';

/** The documented verification: HMAC-SHA256(secret, `${timestamp}.${rawBody}`), hex, as "sha256=<hex>". */
function verify(secret: string, headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const timestamp = String(headers['x-webhook-timestamp']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
  return headers['x-webhook-signature'] === expected && Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
}

describe('durable, signed webhook delivery', () => {
  let t: TestRuntime;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startRuntime({ webhookRetryBaseDelayMs: 20, webhookRetryMaxDelayMs: 100, webhookMaxAttempts: 4, webhookTimeoutMs: 500 });
    t.runtime.sandbox!.createUser({ phone: ALICE, name: 'Alice' });
    t.runtime.sandbox!.createUser({ phone: BOB, name: 'Bob' });
    await linkSession(t, 'hooks', ACCOUNT);
  });
  beforeEach(async () => {
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    for (const hook of (await t.api('GET', '/api/v1/webhooks')).body.webhooks) await t.api('DELETE', `/api/v1/webhooks/${hook.id}`);
    await receiver.close();
  });
  afterAll(async () => {
    await t.close();
  });

  const subscribe = async (extra: Record<string, unknown> = {}) => {
    const { status, body } = await t.api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['message.received'], sessions: ['hooks'], ...extra });
    expect(status).toBe(201);
    return body as { id: string; secret: string };
  };

  test('a message produces exactly one signed delivery, verifiable with the documented scheme', async () => {
    const hook = await subscribe({ headers: { 'x-tenant': 'acme' } });
    expect(hook.secret).toMatch(/^whsec_/);
    const id = await t.runtime.sandbox!.sendMessage(ALICE, ACCOUNT, buildMessage.text('hello webhook'));
    await receiver.waitFor((r) => r.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.json).toMatchObject({ type: 'message.received', session: 'hooks', data: { messageId: id, text: 'hello webhook' } });
    expect(request.headers['x-webhook-event-id']).toBe(request.json.id);
    expect(request.headers['x-tenant']).toBe('acme');
    expect(verify(hook.secret, request.headers, request.body)).toBe(true);
    expect(verify('whsec_wrong', request.headers, request.body)).toBe(false);
    expect(verify(hook.secret, request.headers, request.body.replace('hello', 'HELLO'))).toBe(false);
  });

  test('500 then 200: retried, delivered once, both attempts recorded', async () => {
    const hook = await subscribe();
    receiver.respond = (_r, index) => (index === 0 ? 500 : 200);
    const id = await t.runtime.sandbox!.sendMessage(ALICE, ACCOUNT, buildMessage.text('retry me'));
    await receiver.waitFor((r) => r.some((x) => x.status === 200));
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 200]);
    expect(receiver.requests[0].json.id).toBe(receiver.requests[1].json.id);
    const { body } = await t.api('GET', `/api/v1/webhooks/${hook.id}/deliveries`);
    const delivery = body.deliveries.find((d: { type: string }) => d.type === 'message.received');
    expect(delivery).toMatchObject({ status: 'delivered' });
    expect(delivery.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 200]);
    expect(delivery.attempts.every((a: { latencyMs: number }) => typeof a.latencyMs === 'number')).toBe(true);
    expect(receiver.requests[1].json.data.messageId).toBe(id);
  });

  test('a receiver down past the retry budget: dead letter, then replayed successfully', async () => {
    const hook = await subscribe();
    receiver.respond = () => 503;
    const id = await t.runtime.sandbox!.sendMessage(ALICE, ACCOUNT, buildMessage.text('dead letter'));
    let dead: { eventId: string; attempts: unknown[] }[] = [];
    const deadline = Date.now() + 10_000;
    while (!dead.length && Date.now() < deadline) {
      dead = (await t.api('GET', `/api/v1/webhooks/${hook.id}/dead-letters`)).body.deadLetters;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(dead).toHaveLength(1);
    expect(dead[0].attempts).toHaveLength(4);
    receiver.respond = () => 200;
    expect((await t.api('POST', `/api/v1/webhooks/${hook.id}/dead-letters/${dead[0].eventId}/replay`)).status).toBe(202);
    await receiver.waitFor((r) => r.some((x) => x.status === 200));
    expect(receiver.delivered().map((r) => r.json.data.messageId)).toEqual([id]);
    expect((await t.api('GET', `/api/v1/webhooks/${hook.id}/dead-letters`)).body.deadLetters).toHaveLength(0);
    expect((await t.api('POST', `/api/v1/webhooks/${hook.id}/dead-letters/nope/replay`)).status).toBe(404);
  });

  test('a receiver that never answers: each attempt ends as a timeout, then the event is dead-lettered', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { status, body: hook } = await t.api('POST', '/api/v1/webhooks', { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, events: ['message.received'], sessions: ['hooks'] });
      expect(status).toBe(201);
      await t.runtime.sandbox!.sendMessage(ALICE, ACCOUNT, buildMessage.text('nobody answers'));
      let dead: { attempts: { error?: string }[] }[] = [];
      const deadline = Date.now() + 15_000;
      while (!dead.length && Date.now() < deadline) {
        dead = (await t.api('GET', `/api/v1/webhooks/${hook.id}/dead-letters`)).body.deadLetters;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(dead.map((d) => d.attempts.map((a) => a.error))).toEqual([['timeout', 'timeout', 'timeout', 'timeout']]);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test('50 messages in one chat arrive in order even with retries; another chat is not held up', async () => {
    await subscribe();
    let calls = 0;
    receiver.respond = (request) => (request.json.data.chatId === `${ALICE}@s.whatsapp.net` && ++calls % 3 === 0 ? 500 : 200);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await t.runtime.sandbox!.sendMessage(ALICE, ACCOUNT, buildMessage.text(`n${i}`)));
    const bobId = await t.runtime.sandbox!.sendMessage(BOB, ACCOUNT, buildMessage.text('bob'));
    await receiver.waitFor(() => new Set(receiver.delivered().map((r) => r.json.data.messageId)).size >= 51, 20_000);
    const aliceOrder = receiver.delivered().filter((r) => r.json.data.chatId === `${ALICE}@s.whatsapp.net`).map((r) => r.json.data.messageId);
    expect(aliceOrder).toEqual(ids);
    expect(receiver.requests.some((r) => r.status === 500)).toBe(true);
    expect(receiver.delivered().some((r) => r.json.data.messageId === bobId)).toBe(true);
  });

  test('the same URL and filter is not subscribed twice; test events reach only that subscription', async () => {
    const first = await t.api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['message.*', 'session.status'], sessions: ['hooks'] });
    const second = await t.api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['session.status', 'message.*'], sessions: ['hooks'] });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.secret).toBeUndefined();
    expect((await t.api('GET', '/api/v1/webhooks')).body.webhooks).toHaveLength(1);
    expect((await t.api('POST', `/api/v1/webhooks/${first.body.id}/test`)).status).toBe(202);
    await receiver.waitFor((r) => r.some((x) => x.json.type === 'webhook.test'));
    const bad = await t.api('POST', '/api/v1/webhooks', { url: 'ftp://x', events: ['nope'] });
    expect(bad.status).toBe(400);
  });

  test('the SSE stream resumes from Last-Event-ID without a gap', async () => {
    const sim = t.runtime.sandbox!;
    const firstBatch = [await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('s1')), await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('s2'))];
    const events = await Promise.all(firstBatch.map((id) => t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id)));
    const missed = [await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('s3')), await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('s4'))];
    await Promise.all(missed.map((id) => t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id)));
    const controller = new AbortController();
    const response = await fetch(`${t.runtime.url}/api/v1/events?events=message.received&sessions=hooks`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'last-event-id': events[1].id },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const live = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('s5'));
    const seen: string[] = [];
    const reader = response.body!.getReader();
    let buffer = '';
    while (seen.length < 3) {
      const { value } = await reader.read();
      buffer += Buffer.from(value!).toString();
      for (const block of buffer.split('\n\n').slice(0, -1)) {
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) seen.push(JSON.parse(data.slice(6)).data.messageId);
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
    }
    controller.abort();
    expect(seen).toEqual([...missed, live]);
  });
});
