import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeOperationError, type IDataObject } from 'n8n-workflow';
import { WhatsApp } from '../../nodes/WhatsApp/WhatsApp.node';
import { makeExecuteContext } from '../helpers/n8n-context';
import { linkSession, ADMIN_KEY, startRuntime, type TestRuntime } from '../helpers/runtime';

const session = { mode: 'list', value: 'sales' };
const chat = { mode: 'id', value: '15550001111@s.whatsapp.net' };
const group = { mode: 'id', value: '120363000000000001@g.us' };
const list = { mode: 'id', value: 'lst_1' };

interface Recorded {
  method: string;
  url: string;
  body?: IDataObject;
}

/** Each operation's parameters and the one request the runtime must receive. */
const cases: [string, IDataObject, Recorded][] = [
  ['message sendLocation', { resource: 'message', operation: 'sendLocation', session, chat, latitude: 1.5, longitude: 2.5, options: { name: 'Shop', bulk: true } }, { method: 'POST', url: '/api/v1/sessions/sales/messages/location', body: { to: chat.value, latitude: 1.5, longitude: 2.5, name: 'Shop', lane: 'bulk' } }],
  ['message sendContact', { resource: 'message', operation: 'sendContact', session, chat, contactName: 'Ann', contactPhone: '+1 555 0100', options: {} }, { method: 'POST', url: '/api/v1/sessions/sales/messages/contact', body: { to: chat.value, contacts: [{ name: 'Ann', phone: '+1 555 0100' }] } }],
  ['message sendPoll', { resource: 'message', operation: 'sendPoll', session, chat, question: 'Lunch?', pollOptions: 'Pizza, with olives\nSalad', multipleAnswers: true }, { method: 'POST', url: '/api/v1/sessions/sales/messages/poll', body: { to: chat.value, name: 'Lunch?', options: ['Pizza, with olives', 'Salad'], multipleAnswers: true } }],
  ['message sendMedia (URL)', { resource: 'message', operation: 'sendMedia', session, chat, mediaType: 'document', source: 'url', url: 'https://files.test/a.pdf', options: { fileName: 'a.pdf', caption: 'here' } }, { method: 'POST', url: '/api/v1/sessions/sales/messages/document', body: { to: chat.value, media: { url: 'https://files.test/a.pdf' }, caption: 'here', fileName: 'a.pdf' } }],
  ['message react', { resource: 'message', operation: 'react', session, chat, messageId: 'M1', emoji: ' 👍 ' }, { method: 'POST', url: '/api/v1/sessions/sales/messages/reaction', body: { chatId: chat.value, messageId: 'M1', emoji: '👍' } }],
  ['message edit', { resource: 'message', operation: 'edit', session, chat, messageId: 'M1', text: 'fixed' }, { method: 'POST', url: '/api/v1/sessions/sales/messages/edit', body: { chatId: chat.value, messageId: 'M1', text: 'fixed' } }],
  ['message delete', { resource: 'message', operation: 'delete', session, chat, messageId: 'M1' }, { method: 'POST', url: '/api/v1/sessions/sales/messages/delete', body: { chatId: chat.value, messageId: 'M1' } }],
  ['message forward', { resource: 'message', operation: 'forward', session, chat, messageId: 'M1', forwardTo: '+1 555 0199' }, { method: 'POST', url: '/api/v1/sessions/sales/messages/forward', body: { chatId: chat.value, messageId: 'M1', to: '+1 555 0199' } }],
  ['message markRead', { resource: 'message', operation: 'markRead', session, chat, messageId: 'M1, M2' }, { method: 'POST', url: '/api/v1/sessions/sales/messages/read', body: { chatId: chat.value, messageIds: ['M1', 'M2'] } }],
  ['message sendPresence', { resource: 'message', operation: 'sendPresence', session, chat, state: 'recording' }, { method: 'POST', url: '/api/v1/sessions/sales/presence', body: { chatId: chat.value, state: 'recording' } }],
  ['message sendText (paced bulk, scheduled)', { resource: 'message', operation: 'sendText', session, chat, text: 'later', options: { bulk: true, sendAt: '2030-01-01T08:00:00.000Z' } }, { method: 'POST', url: '/api/v1/sessions/sales/messages/text', body: { to: chat.value, text: 'later', lane: 'bulk', sendAt: '2030-01-01T08:00:00.000Z' } }],
  ['campaign get', { resource: 'campaign', operation: 'get', session, campaignId: 'cmp_1' }, { method: 'GET', url: '/api/v1/sessions/sales/campaigns/cmp_1' }],
  ['campaign getAll', { resource: 'campaign', operation: 'getAll', session }, { method: 'GET', url: '/api/v1/sessions/sales/campaigns' }],
  ['campaign getRecipients', { resource: 'campaign', operation: 'getRecipients', session, campaignId: 'cmp_1', status: 'failed', limit: 20 }, { method: 'GET', url: '/api/v1/sessions/sales/campaigns/cmp_1/recipients?limit=20&status=failed' }],
  ['campaign pause', { resource: 'campaign', operation: 'pause', session, campaignId: 'cmp_1' }, { method: 'POST', url: '/api/v1/sessions/sales/campaigns/cmp_1/pause' }],
  ['campaign resume', { resource: 'campaign', operation: 'resume', session, campaignId: 'cmp_1' }, { method: 'POST', url: '/api/v1/sessions/sales/campaigns/cmp_1/resume' }],
  ['campaign cancel', { resource: 'campaign', operation: 'cancel', session, campaignId: 'cmp_1' }, { method: 'POST', url: '/api/v1/sessions/sales/campaigns/cmp_1/cancel' }],
  ['chat getAll', { resource: 'chat', operation: 'getAll', session, limit: 10, archivedOnly: true }, { method: 'GET', url: '/api/v1/sessions/sales/chats?limit=10&archived=true' }],
  ['chat getMessages', { resource: 'chat', operation: 'getMessages', session, chat, limit: 5 }, { method: 'GET', url: '/api/v1/sessions/sales/chats/15550001111%40s.whatsapp.net/messages?limit=5' }],
  ['chat markRead', { resource: 'chat', operation: 'markRead', session, chat }, { method: 'POST', url: '/api/v1/sessions/sales/chats/15550001111%40s.whatsapp.net/read' }],
  ['chat update', { resource: 'chat', operation: 'update', session, chat, updateFields: { archived: true, mutedUntil: '2030-01-01T00:00:00.000Z' } }, { method: 'PATCH', url: '/api/v1/sessions/sales/chats/15550001111%40s.whatsapp.net', body: { archived: true, mutedUntil: '2030-01-01T00:00:00.000Z' } }],
  ['contact check', { resource: 'contact', operation: 'check', session, numbers: '+1 555 0100, 15550101' }, { method: 'POST', url: '/api/v1/sessions/sales/contacts/check', body: { numbers: ['+1 555 0100', '15550101'] } }],
  ['contact get', { resource: 'contact', operation: 'get', session, contact: '+1 555 0100' }, { method: 'GET', url: '/api/v1/sessions/sales/contacts/%2B1%20555%200100' }],
  ['contact getPicture', { resource: 'contact', operation: 'getPicture', session, contact: '15550100' }, { method: 'GET', url: '/api/v1/sessions/sales/contacts/15550100/picture' }],
  ['contact block', { resource: 'contact', operation: 'block', session, contact: '15550100' }, { method: 'POST', url: '/api/v1/sessions/sales/contacts/15550100/block' }],
  ['contact unblock', { resource: 'contact', operation: 'unblock', session, contact: '15550100' }, { method: 'POST', url: '/api/v1/sessions/sales/contacts/15550100/unblock' }],
  ['group create', { resource: 'group', operation: 'create', session, subject: 'Team', participants: '15550100, 15550101' }, { method: 'POST', url: '/api/v1/sessions/sales/groups', body: { subject: 'Team', participants: ['15550100', '15550101'] } }],
  ['group getAll', { resource: 'group', operation: 'getAll', session }, { method: 'GET', url: '/api/v1/sessions/sales/groups' }],
  ['group get', { resource: 'group', operation: 'get', session, group }, { method: 'GET', url: '/api/v1/sessions/sales/groups/120363000000000001%40g.us' }],
  ['group update', { resource: 'group', operation: 'update', session, group, updateFields: { subject: 'New', announcement: true } }, { method: 'PATCH', url: '/api/v1/sessions/sales/groups/120363000000000001%40g.us', body: { subject: 'New', announcement: true } }],
  ['group participants', { resource: 'group', operation: 'updateParticipants', session, group, action: 'promote', participants: '15550100' }, { method: 'POST', url: '/api/v1/sessions/sales/groups/120363000000000001%40g.us/participants', body: { action: 'promote', participants: ['15550100'] } }],
  ['group join requests', { resource: 'group', operation: 'updateParticipants', session, group, action: 'approve', participants: '15550100' }, { method: 'POST', url: '/api/v1/sessions/sales/groups/120363000000000001%40g.us/join-requests', body: { action: 'approve', participants: ['15550100'] } }],
  ['group invite link', { resource: 'group', operation: 'getInviteCode', session, group, revoke: false }, { method: 'GET', url: '/api/v1/sessions/sales/groups/120363000000000001%40g.us/invite-code' }],
  ['group new invite link', { resource: 'group', operation: 'getInviteCode', session, group, revoke: true }, { method: 'POST', url: '/api/v1/sessions/sales/groups/120363000000000001%40g.us/invite-code/revoke' }],
  ['group join', { resource: 'group', operation: 'join', session, code: 'https://chat.whatsapp.com/AbC123' }, { method: 'POST', url: '/api/v1/sessions/sales/groups/join', body: { code: 'https://chat.whatsapp.com/AbC123' } }],
  ['group leave', { resource: 'group', operation: 'leave', session, group }, { method: 'POST', url: '/api/v1/sessions/sales/groups/120363000000000001%40g.us/leave' }],
  ['contactList create', { resource: 'contactList', operation: 'create', session, listName: 'Customers', defaultCountry: 'DE' }, { method: 'POST', url: '/api/v1/sessions/sales/lists', body: { name: 'Customers', defaultCountry: 'DE' } }],
  ['contactList upsert', { resource: 'contactList', operation: 'upsert', session, list, phone: '+49 151 23456789', name: 'Dora', fields: { field: [{ name: 'city', value: 'Berlin' }] }, tags: 'vip, de' }, { method: 'POST', url: '/api/v1/sessions/sales/lists/lst_1/contacts', body: { phone: '+49 151 23456789', name: 'Dora', fields: { city: 'Berlin' }, tags: ['vip', 'de'] } }],
  ['contactList get', { resource: 'contactList', operation: 'get', session, list, phone: '+49 151 23456789' }, { method: 'GET', url: '/api/v1/sessions/sales/lists/lst_1/contacts/%2B49%20151%2023456789' }],
  ['contactList remove', { resource: 'contactList', operation: 'remove', session, list, phone: '4915123456789' }, { method: 'DELETE', url: '/api/v1/sessions/sales/lists/lst_1/contacts/4915123456789' }],
  ['contactList getMembers', { resource: 'contactList', operation: 'getMembers', session, list, returnAll: false, limit: 20, filters: { tag: 'vip', optedOut: false } }, { method: 'GET', url: '/api/v1/sessions/sales/lists/lst_1/contacts?tag=vip&optedOut=false&limit=20' }],
];

describe('WhatsApp node operations build the runtime request', () => {
  let server: Server;
  let base = '';
  const seen: Recorded[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, ...(raw && { body: JSON.parse(raw) }) });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ok: true, results: [{ ok: true }], chats: [{ id: 'c' }], messages: [{ messageId: 'm' }], groups: [{ id: 'g' }], campaigns: [{ id: 'c' }], recipients: [{ index: 0 }], contacts: [{ phone: '+4915123456789' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test.each(cases)('%s', async (_name, parameters, expected) => {
    seen.length = 0;
    const { context } = makeExecuteContext({ items: [{ json: {} }, { json: {} }], parameters, credentials: { baseUrl: base, apiKey: 'k' } });
    const [output] = await new WhatsApp().execute.call(context);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual(expected);
    expect(output.length).toBeGreaterThanOrEqual(2);
    expect(output.every((o) => typeof o.pairedItem === 'object')).toBe(true);
    expect(output.at(-1)!.pairedItem).toEqual({ item: 1 });
  });

  test('bad parameters fail before any request, with the item index', async () => {
    seen.length = 0;
    const run = (parameters: IDataObject) => new WhatsApp().execute.call(makeExecuteContext({ parameters, credentials: { baseUrl: base, apiKey: 'k' } }).context);
    await expect(run({ resource: 'chat', operation: 'update', session, chat, updateFields: {} })).rejects.toThrow(/Nothing to change/);
    await expect(run({ resource: 'message', operation: 'edit', session, chat, messageId: 'M', text: '  ' })).rejects.toThrow(/New Text is empty/);
    await expect(run({ resource: 'message', operation: 'sendMedia', session, chat, mediaType: 'sticker', source: 'url', url: 'https://x.test/s.webp', options: { caption: 'no' } })).rejects.toThrow(NodeOperationError);
    await expect(run({ resource: 'group', operation: 'get', session, group: { mode: 'id', value: '' } })).rejects.toThrow(/No group given/);
    await expect(run({ resource: 'message', operation: 'sendText', session, chat, text: 'x', options: { sendAt: 'soon' } })).rejects.toThrow(/Send At/);
    await expect(run({ resource: 'campaign', operation: 'create', session, recipient: '', messageType: 'text', text: 'hi', options: {} })).rejects.toThrow(/no recipient/);
    await expect(run({ resource: 'campaign', operation: 'pause', session, campaignId: ' ' })).rejects.toThrow(/Campaign ID is empty/);
    await expect(run({ resource: 'contactList', operation: 'upsert', session, list, phone: ' ', name: '', fields: {}, tags: '' })).rejects.toThrow(/Phone Number is empty/);
    await expect(run({ resource: 'contactList', operation: 'get', session, list: { mode: 'list', value: '' }, phone: '+1' })).rejects.toThrow(/Pick a contact list/);
    expect(seen).toHaveLength(0);
  });
});

describe('WhatsApp node media in and out, against a real runtime and the simulator', () => {
  let t: TestRuntime;
  const ACCOUNT = '15550009100';
  const GINA = '15550009101';
  beforeAll(async () => {
    t = await startRuntime();
    t.runtime.sandbox!.createUser({ phone: GINA, name: 'Gina' });
    await linkSession(t, 'sales', ACCOUNT);
  });
  afterAll(async () => {
    await t.close();
  });

  test('an input item\'s binary image is sent; a received document is downloaded into binary data', async () => {
    const sim = t.runtime.sandbox!;
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 9)]);
    const credentials = { baseUrl: t.runtime.url, apiKey: ADMIN_KEY };
    const send = makeExecuteContext({
      items: [{ json: { chatId: `${GINA}@s.whatsapp.net` }, binary: { photo: { data: png.toString('base64'), mimeType: 'image/png', fileName: 'p.png' } } }],
      parameters: { resource: 'message', operation: 'sendMedia', session, chat: { mode: 'id', value: `${GINA}@s.whatsapp.net` }, mediaType: 'image', source: 'binary', binaryPropertyName: 'photo', options: { caption: 'new stock' } },
      credentials,
    });
    const [[sent]] = await new WhatsApp().execute.call(send.context);
    const got = await sim.waitForReceived(GINA, (m) => m.id === sent.json.id);
    expect(got.message.imageMessage?.caption).toBe('new stock');
    expect(await sim.downloadMedia(got.message)).toEqual(png);

    const upload = await sim.uploadMedia({ kind: 'document', data: Buffer.from('order list'), mimetype: 'text/plain', fileName: 'orders.txt' });
    const id = await sim.sendMessage(GINA, ACCOUNT, upload);
    await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id);
    const download = makeExecuteContext({
      items: [{ json: { messageId: id, chatId: `${GINA}@s.whatsapp.net` } }],
      parameters: { resource: 'message', operation: 'downloadMedia', session, chat: { mode: 'id', value: `${GINA}@s.whatsapp.net` }, messageId: id, binaryPropertyName: 'file' },
      credentials,
    });
    const [[item]] = await new WhatsApp().execute.call(download.context);
    expect(item.binary?.file).toMatchObject({ fileName: 'orders.txt', mimeType: 'text/plain' });
    expect(Buffer.from(item.binary!.file.data, 'base64').toString()).toBe('order list');
  });

  test('a key scoped to read: reads work, a send fails with the runtime\'s message and the item index, another session reads as missing', async () => {
    const scoped = (await t.api('POST', '/api/v1/keys', { name: 'n8n reader', permissions: ['read'], sessions: ['sales'] })).body.key as string;
    const credentials = { baseUrl: t.runtime.url, apiKey: scoped };
    const check = makeExecuteContext({ parameters: { resource: 'contact', operation: 'check', session, numbers: GINA }, credentials });
    const [[checked]] = await new WhatsApp().execute.call(check.context);
    expect(JSON.stringify(checked.json)).toContain(GINA);
    const send = makeExecuteContext({ items: [{ json: {} }, { json: {} }], parameters: { resource: 'message', operation: 'sendText', session, chat: { mode: 'id', value: `${GINA}@s.whatsapp.net` }, text: 'not allowed', options: {} }, credentials });
    const failure = await new WhatsApp().execute.call(send.context).then(() => undefined, (error: Error & { context?: { itemIndex?: number } }) => error);
    expect(failure?.message).toContain('lacks the "send" permission');
    expect(failure?.context?.itemIndex).toBe(0);
    const elsewhere = makeExecuteContext({ parameters: { resource: 'chat', operation: 'getAll', session: { mode: 'id', value: 'other' }, limit: 5, archivedOnly: false }, credentials, continueOnFail: true });
    const [[missing]] = await new WhatsApp().execute.call(elsewhere.context);
    expect(String(missing.json.error)).toContain('does not exist');
  });

  test('Campaign → Create: one campaign from all input items, each filled from its own fields', async () => {
    const sim = t.runtime.sandbox!;
    sim.createUser({ phone: '15550009102', name: 'Hal' });
    await t.api('PATCH', '/api/v1/sessions/sales/outbound/settings', { minGapMs: 0, maxGapMs: 0, perMinute: null, perHour: null, perDay: null, firstContactsPerDay: null });
    const items = [
      { json: { phone: `+${GINA}`, name: 'Gina', order: 17 } },
      { json: { phone: '+1 555 000 9102', name: 'Hal', order: 18 } },
      { json: { phone: '+1 555 000 9199', name: 'Nobody', order: 19 } },
    ];
    const context = makeExecuteContext({
      items,
      parameters: (i) => ({ resource: 'campaign', operation: 'create', session, recipient: items[i].json.phone, messageType: 'text', text: 'Hi {{name}}, order {{order}} shipped', options: { name: 'Shipping' } }),
      credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY },
    });
    const [output] = await new WhatsApp().execute.call(context.context);
    expect(output).toHaveLength(1);
    expect(output[0].pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
    expect(output[0].json).toMatchObject({ name: 'Shipping', total: 3, skipped: [{ index: 2, reason: expect.stringMatching(/not on WhatsApp/) }] });
    await sim.waitForReceived(GINA, (m) => m.text === 'Hi Gina, order 17 shipped');
    await sim.waitForReceived('15550009102', (m) => m.text === 'Hi Hal, order 18 shipped');
  });

  test('Contact List → Import Items: every input item at once, each answered; then a campaign to the list\'s tagged members', async () => {
    const sim = t.runtime.sandbox!;
    // numbers valid in their country (lists take only those; the 555-0xxx ones above are fictional)
    const [IVY, JO] = ['12025550111', '12025550112'];
    sim.createUser({ phone: IVY, name: 'Ivy' });
    sim.createUser({ phone: JO, name: 'Jo' });
    const credentials = { baseUrl: t.runtime.url, apiKey: ADMIN_KEY };
    const created = await t.api('POST', '/api/v1/sessions/sales/lists', { name: 'n8n customers', defaultCountry: 'US', fields: [{ name: 'city', type: 'string' }] });
    const listRef = { mode: 'id', value: created.body.id };
    const items = [
      { json: { phone: `+${IVY}`, name: 'Ivy', city: 'Lisbon', tags: 'vip' } },
      { json: { phone: '(202) 555-0112', name: 'Jo', city: '', tags: 'vip' } },
      { json: { phone: 'not a number', name: 'Bad', city: 'x', tags: '' } },
    ];
    const imported = makeExecuteContext({
      items,
      parameters: (i) => ({ resource: 'contactList', operation: 'importItems', session, list: listRef, phone: items[i].json.phone, name: items[i].json.name, fields: { field: [{ name: 'city', value: items[i].json.city }] }, tags: items[i].json.tags }),
      credentials,
    });
    const [output] = await new WhatsApp().execute.call(imported.context);
    expect(output.map((o) => [o.pairedItem, o.json.status, o.json.reason ?? null])).toEqual([
      [{ item: 0 }, 'created', null],
      [{ item: 1 }, 'created', null],
      [{ item: 2 }, 'skipped', 'invalid_number'],
    ]);
    await t.api('PATCH', '/api/v1/sessions/sales/outbound/settings', { minGapMs: 0, maxGapMs: 0, perMinute: null, perHour: null, perDay: null, firstContactsPerDay: null });
    const campaign = makeExecuteContext({
      parameters: { resource: 'campaign', operation: 'create', session, audience: 'list', list: listRef, listTag: 'vip', messageType: 'text', text: 'Hello {{name}} in {{fields.city|your town}}', options: {} },
      credentials,
    });
    const [[result]] = await new WhatsApp().execute.call(campaign.context);
    expect(result.json).toMatchObject({ total: 2, audience: { listId: created.body.id, tag: 'vip' } });
    await sim.waitForReceived(IVY, (m) => m.text === 'Hello Ivy in Lisbon');
    await sim.waitForReceived(JO, (m) => m.text === 'Hello Jo in your town');
  });
});
