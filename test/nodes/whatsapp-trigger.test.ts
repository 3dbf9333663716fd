import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject, IWebhookResponseData } from 'n8n-workflow';
import { WhatsApp } from '../../nodes/WhatsApp/WhatsApp.node';
import { WhatsAppTrigger } from '../../nodes/WhatsAppTrigger/WhatsAppTrigger.node';
import { flatten, rejectionReason, wanted, type TriggerFilters } from '../../nodes/WhatsAppTrigger/filters';
import { sign } from '../../src/contract';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { makeExecuteContext, makeHookContext, makeWebhookContext } from '../helpers/n8n-context';
import { ADMIN_KEY, linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';

const ACCOUNT = '15550012000';
const ALICE = '15550012001';

describe('WhatsApp Runtime Trigger against a real runtime', () => {
  let t: TestRuntime;
  let server: Server;
  let webhookUrl: string;
  const trigger = new WhatsAppTrigger();
  const staticData: IDataObject = {};
  let parameters: IDataObject = { events: ['message.received'], sessions: 'support', options: {} };
  const results: { status: number; result: IWebhookResponseData }[] = [];

  beforeAll(async () => {
    t = await startRuntime();
    t.runtime.sandbox!.createUser({ phone: ALICE, name: 'Alice' });
    await linkSession(t, 'support', ACCOUNT);
    // stands in for n8n's webhook endpoint: every request goes through the trigger's own webhook()
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const { context, response } = makeWebhookContext({ headers: req.headers, rawBody: Buffer.concat(chunks), staticData, parameters, credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY } });
        const result = await trigger.webhook.call(context);
        results.push({ status: response.statusCode, result });
        res.writeHead(response.statusCode).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/abc`;
  });
  afterAll(async () => {
    server.close();
    await t.close();
  });

  const hook = () => makeHookContext({ webhookUrl, staticData, parameters, credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY } });

  test('activation registers one subscription, idempotently; deactivation removes it', async () => {
    const methods = trigger.webhookMethods.default;
    expect(await methods.checkExists.call(hook())).toBe(false);
    await methods.create.call(hook());
    expect(await methods.checkExists.call(hook())).toBe(true);
    await methods.create.call(hook());
    const hooks = (await t.api('GET', '/api/v1/webhooks')).body.webhooks;
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ url: webhookUrl, events: ['message.received'], sessions: ['support'] });
    await methods.delete.call(hook());
    expect((await t.api('GET', '/api/v1/webhooks')).body.webhooks).toHaveLength(0);
    expect(await methods.checkExists.call(hook())).toBe(false);
  });

  test('version 2 (the default): Sessions is picked from the runtime\'s sessions and registered as the list picked', async () => {
    expect(trigger.description.defaultVersion).toBe(2);
    const sessionsField = trigger.description.properties.find((p) => p.name === 'sessions' && p.displayOptions?.show?.['@version']?.includes(2));
    expect(sessionsField).toMatchObject({ type: 'multiOptions', default: [], typeOptions: { loadOptionsMethod: 'getSessions' } });
    const { context } = makeExecuteContext({ parameters: {}, credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY } });
    expect(await trigger.methods.loadOptions.getSessions.call(context as never)).toEqual([{ name: `support (+${ACCOUNT})`, value: 'support' }]);
    parameters = { ...parameters, sessions: ['support'] };
    try {
      await trigger.webhookMethods.default.create.call(hook());
      expect((await t.api('GET', '/api/v1/webhooks')).body.webhooks[0]).toMatchObject({ sessions: ['support'] });
      await trigger.webhookMethods.default.delete.call(hook());
    } finally {
      parameters = { ...parameters, sessions: 'support' };
    }
  });

  test('with Download Media on, the trigger attaches the received file as binary data', async () => {
    parameters = { ...parameters, options: { downloadMedia: true } };
    try {
      await trigger.webhookMethods.default.create.call(hook());
      const sim = t.runtime.sandbox!;
      const upload = await sim.uploadMedia({ kind: 'document', data: Buffer.from('menu of the day'), mimetype: 'text/plain', fileName: 'menu.txt' });
      const id = await sim.sendMessage(ALICE, ACCOUNT, upload);
      await until(() => results.some((r) => r.result.workflowData?.[0][0].json.messageId === id));
      const [[item]] = results.find((r) => r.result.workflowData?.[0][0].json.messageId === id)!.result.workflowData!;
      expect(item.binary?.data).toMatchObject({ fileName: 'menu.txt', mimeType: 'text/plain' });
      expect(Buffer.from(item.binary!.data.data, 'base64').toString()).toBe('menu of the day');
    } finally {
      await trigger.webhookMethods.default.delete.call(hook());
      parameters = { ...parameters, options: {} };
      results.length = 0;
    }
  });

  test('a contact says hi, the trigger emits a flat item, and the WhatsApp node answers in the same chat', async () => {
    await trigger.webhookMethods.default.create.call(hook());
    const id = await t.runtime.sandbox!.sendMessage(ALICE, ACCOUNT, buildMessage.text('hi'));
    await until(() => results.some((r) => r.result.workflowData));
    const [[item]] = results.find((r) => r.result.workflowData)!.result.workflowData!;
    expect(item.json).toMatchObject({ event: 'message.received', session: 'support', text: 'hi', from: `${ALICE}@s.whatsapp.net`, chatId: `${ALICE}@s.whatsapp.net`, messageId: id, pushName: 'Alice' });

    const node = new WhatsApp();
    const { context } = makeExecuteContext({
      items: [item],
      parameters: { resource: 'message', operation: 'sendText', session: { mode: 'id', value: item.json.session }, chat: { mode: 'id', value: item.json.chatId }, text: `hello ${item.json.pushName}`, options: { quotedMessageId: item.json.messageId } },
      credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY },
    });
    const [[sent]] = await node.execute.call(context);
    expect(sent.pairedItem).toEqual({ item: 0 });
    const got = await t.runtime.sandbox!.waitForReceived(ALICE, (m) => m.id === sent.json.id);
    expect(got.text).toBe('hello Alice');
    expect(got.message.extendedTextMessage?.contextInfo?.stanzaId).toBe(id);
  });

  test('requests with a wrong or stale signature are refused with 401 and start nothing', async () => {
    const body = Buffer.from(JSON.stringify({ id: 'evt_x', type: 'message.received', session: 'support', timestamp: new Date().toISOString(), data: { text: 'forged' } }));
    for (const headers of [
      { 'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'x-webhook-signature': 'sha256=00' },
      { 'x-webhook-timestamp': String(Math.floor(Date.now() / 1000) - 3600), 'x-webhook-signature': 'sha256=00' },
      {},
    ]) {
      const { context, response } = makeWebhookContext({ headers, rawBody: body, staticData, parameters });
      const result = await trigger.webhook.call(context);
      expect(response.statusCode).toBe(401);
      expect(result.workflowData).toBeUndefined();
    }
  });

  test('a signed request sent again (a replay, or a repeated delivery) starts nothing the second time', async () => {
    // the subscription of the test before is active (create is idempotent): its secret signs the request
    await trigger.webhookMethods.default.create.call(hook());
    const body = Buffer.from(JSON.stringify({ id: `evt_replay_${Date.now()}`, type: 'message.received', session: 'support', timestamp: new Date().toISOString(), data: { text: 'once', chatId: `${ALICE}@s.whatsapp.net` } }));
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'x-webhook-timestamp': String(timestamp), 'x-webhook-signature': sign(staticData.secret as string, timestamp, body.toString()) };
    const outcomes = [];
    for (let i = 0; i < 2; i++) {
      const { context } = makeWebhookContext({ headers, rawBody: body, staticData, parameters });
      outcomes.push(await trigger.webhook.call(context));
    }
    expect(outcomes[0].workflowData?.[0][0].json.text).toBe('once');
    expect(outcomes[1].workflowData).toBeUndefined();
    expect(outcomes[1].webhookResponse).toEqual({ received: true, duplicate: true });
  });

  test('a test event starts nothing published but reaches a workflow listening in the editor; a type or session the trigger does not listen to starts nothing', async () => {
    await trigger.webhookMethods.default.create.call(hook());
    const send = async (event: Record<string, unknown>, mode: 'webhook' | 'manual' = 'webhook') => {
      const body = Buffer.from(JSON.stringify({ timestamp: new Date().toISOString(), data: { chatId: `${ALICE}@s.whatsapp.net`, text: 'x' }, ...event }));
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = { 'x-webhook-timestamp': String(timestamp), 'x-webhook-signature': sign(staticData.secret as string, timestamp, body.toString()) };
      const { context } = makeWebhookContext({ headers, rawBody: body, staticData, parameters, mode });
      return trigger.webhook.call(context);
    };
    const test = await send({ id: `evt_t_${Date.now()}`, type: 'webhook.test', session: '_runtime' });
    expect(test.workflowData).toBeUndefined();
    expect(test.webhookResponse).toEqual({ received: true, ignored: 'webhook.test' });
    // listening in the editor: the test event shows, although neither its type nor its session is selected
    const listened = await send({ id: `evt_l_${Date.now()}`, type: 'webhook.test', session: '_runtime', data: { message: 'test' } }, 'manual');
    expect(listened.workflowData?.[0][0].json).toMatchObject({ event: 'webhook.test', session: '_runtime' });
    expect((await send({ id: `evt_s_${Date.now()}`, type: 'session.status', session: 'support' })).workflowData).toBeUndefined();
    expect((await send({ id: `evt_o_${Date.now()}`, type: 'message.received', session: 'elsewhere' })).workflowData).toBeUndefined();
    expect((await send({ id: `evt_m_${Date.now()}`, type: 'message.received', session: 'support' })).workflowData).toBeDefined();
  });

  test('filters drop what the user did not ask for', async () => {
    parameters = { ...parameters, options: { textContains: 'order' } };
    const before = results.length;
    await t.runtime.sandbox!.sendMessage(ALICE, ACCOUNT, buildMessage.text('just chatting'));
    const orderId = await t.runtime.sandbox!.sendMessage(ALICE, ACCOUNT, buildMessage.text('ORDER 42 please'));
    await until(() => results.slice(before).filter((r) => r.status === 200).length >= 2);
    const started = results.slice(before).filter((r) => r.result.workflowData).map((r) => r.result.workflowData![0][0].json.messageId);
    expect(started).toEqual([orderId]);
  });
});

describe('trigger filters', () => {
  const base: TriggerFilters = { ignoreOwnMessages: true, chatType: 'all', fromNumbers: [], textContains: '', messageKinds: [] };
  const event = (data: Record<string, unknown>, type = 'message.received') => ({ id: 'e', type, session: 's', timestamp: '', data });

  test.each([
    [{ fromMe: true }, base, 'own message'],
    [{ chatType: 'group' }, { ...base, chatType: 'direct' as const }, 'not a direct chat'],
    [{ fromPhoneNumber: '111' }, { ...base, fromNumbers: ['222'] }, 'sender not in the list'],
    [{ kind: 'image' }, { ...base, messageKinds: ['text'] }, 'kind image not selected'],
    [{ text: 'abc' }, { ...base, textRegex: /^x/ }, 'text does not match the pattern'],
  ])('%j with %j is dropped (%s)', (data, filters, reason) => {
    expect(rejectionReason(event(data), filters)).toBe(reason);
  });

  test('event types: exact, `*` and `message.*`; never webhook.test; sessions when listed', () => {
    expect(wanted(['message.received'], '', { type: 'message.received', session: 'a' })).toBe(true);
    expect(wanted(['message.*'], '', { type: 'message.sent', session: 'a' })).toBe(true);
    expect(wanted(['message.*'], '', { type: 'session.status', session: 'a' })).toBe(false);
    expect(wanted(['*'], '', { type: 'webhook.test', session: 'a' })).toBe(false);
    expect(wanted(['*'], 'a, b', { type: 'poll.vote', session: 'c' })).toBe(false);
    // version 2 picks sessions from a list
    expect(wanted(['*'], ['a', 'b'], { type: 'poll.vote', session: 'c' })).toBe(false);
    expect(wanted(['*'], ['a', 'b'], { type: 'poll.vote', session: 'b' })).toBe(true);
    expect(wanted(['*'], [], { type: 'poll.vote', session: 'c' })).toBe(true);
  });

  test('a matching event passes and is flattened', () => {
    expect(rejectionReason(event({ text: 'Order 7', kind: 'text', fromPhoneNumber: '222', chatType: 'direct' }), { ...base, fromNumbers: ['222'], textContains: 'order', messageKinds: ['text'], chatType: 'direct' })).toBeUndefined();
    expect(flatten(event({ text: 'x' }))).toMatchObject({ text: 'x', event: 'message.received', eventId: 'e', session: 's' });
  });
});
