import { buildMessage, pollVote } from '../../src/runtime/sandbox/messages';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

const ACCOUNT = '15550005000';
const ALICE = '15550005001';

describe('runtime against the simulator: sessions, sends, events', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startRuntime();
    t.runtime.sandbox!.createUser({ phone: ALICE, name: 'Alice' });
    await linkSession(t, 'sales', ACCOUNT);
  });
  afterAll(async () => {
    await t.close();
  });

  test('the linked session reports its number', async () => {
    const { status, body } = await t.api('GET', '/api/v1/sessions/sales');
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: 'sales', status: 'connected', me: { phoneNumber: ACCOUNT } });
    const qrEvents = t.events.filter((e) => e.type === 'session.qr');
    expect(qrEvents.length).toBeGreaterThan(0);
  });

  test('send text by phone number in any format: the contact receives it; receipts become message.status', async () => {
    const { status, body } = await t.api('POST', '/api/v1/sessions/sales/messages/text', { to: '+1 (555) 000-5001', text: 'hello alice' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ to: `${ALICE}@s.whatsapp.net`, status: 'sent' });
    const received = await t.runtime.sandbox!.waitForReceived(ALICE, (m) => m.id === body.id);
    expect(received.text).toBe('hello alice');
    await t.waitForEvent((e) => e.type === 'message.status' && (e.data as { messageId: string; status: string }).messageId === body.id && (e.data as { status: string }).status === 'delivered');
    t.runtime.sandbox!.markRead(ALICE, ACCOUNT, [body.id]);
    await t.waitForEvent((e) => e.type === 'message.status' && (e.data as { messageId: string }).messageId === body.id && (e.data as { status: string }).status === 'read');
    const sentEvent = await t.waitForEvent((e) => e.type === 'message.sent' && (e.data as { messageId: string }).messageId === body.id);
    expect(sentEvent.data).toMatchObject({ fromMe: true, text: 'hello alice', chatId: `${ALICE}@s.whatsapp.net` });
  });

  test('a contact message becomes exactly one message.received with phone number and LID', async () => {
    const sim = t.runtime.sandbox!;
    const id = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('hi runtime'));
    const event = await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id);
    expect(event.session).toBe('sales');
    expect(event.data).toMatchObject({
      text: 'hi runtime',
      kind: 'text',
      chatType: 'direct',
      fromMe: false,
      from: `${ALICE}@s.whatsapp.net`,
      fromPhoneNumber: ALICE,
      fromLid: sim.user(ALICE).lidJid,
      pushName: 'Alice',
      offline: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.events.filter((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id)).toHaveLength(1);
  });

  test('reply to a received message with quotedMessageId', async () => {
    const sim = t.runtime.sandbox!;
    const id = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('question?'));
    await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id);
    const { status, body } = await t.api('POST', '/api/v1/sessions/sales/messages/text', { to: `${ALICE}@s.whatsapp.net`, text: 'answer', quotedMessageId: id });
    expect(status).toBe(200);
    const received = await sim.waitForReceived(ALICE, (m) => m.id === body.id);
    expect(received.message.extendedTextMessage?.contextInfo?.stanzaId).toBe(id);
  });

  test('send an image as base64 and as multipart: the contact downloads the same bytes', async () => {
    const sim = t.runtime.sandbox!;
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
    const json = await t.api('POST', '/api/v1/sessions/sales/messages/image', { to: ALICE, caption: 'pic', image: { base64: png.toString('base64') } });
    expect(json.status).toBe(200);
    const got = await sim.waitForReceived(ALICE, (m) => m.id === json.body.id);
    expect(got.message.imageMessage?.mimetype).toBe('image/png');
    expect(await sim.downloadMedia(got.message)).toEqual(png);

    const form = new FormData();
    form.append('to', ALICE);
    form.append('caption', 'uploaded');
    form.append('file', new Blob([png], { type: 'image/png' }), 'pic.png');
    const multipart = await t.api('POST', '/api/v1/sessions/sales/messages/image', form);
    expect(multipart.status).toBe(200);
    const got2 = await sim.waitForReceived(ALICE, (m) => m.id === multipart.body.id);
    expect(got2.text).toBe('uploaded');
    expect(await sim.downloadMedia(got2.message)).toEqual(png);
  });

  test('every message kind from a contact arrives as the right event', async () => {
    const sim = t.runtime.sandbox!;
    const chat = `${ACCOUNT}@s.whatsapp.net`;
    const target = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('target'));
    const location = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.location(1.5, 2.5, 'Here'));
    const card = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.contactCard('Bob', '+15550005002'));
    const poll = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.poll('Lunch?', ['Pizza', 'Sushi'], 1));
    const image = await sim.sendMessage(ALICE, ACCOUNT, await sim.uploadMedia({ kind: 'image', data: Buffer.alloc(100, 1), mimetype: 'image/jpeg', caption: 'photo' }));
    const voice = await sim.sendMessage(ALICE, ACCOUNT, await sim.uploadMedia({ kind: 'voice', data: Buffer.alloc(100, 2), mimetype: 'audio/ogg; codecs=opus', seconds: 3 }));
    const doc = await sim.sendMessage(ALICE, ACCOUNT, await sim.uploadMedia({ kind: 'document', data: Buffer.alloc(100, 3), mimetype: 'application/pdf', fileName: 'a.pdf' }));
    await sim.sendMessage(ALICE, ACCOUNT, buildMessage.reaction({ remoteJid: chat, id: target, fromMe: true }, '🔥'));
    await sim.sendMessage(ALICE, ACCOUNT, buildMessage.edit({ remoteJid: chat, id: target, fromMe: true }, 'target (edited)'));
    await sim.sendMessage(ALICE, ACCOUNT, buildMessage.revoke({ remoteJid: chat, id: location, fromMe: true }));

    const byId = (id: string) => t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id);
    expect((await byId(location)).data).toMatchObject({ kind: 'location', location: { latitude: 1.5, longitude: 2.5, name: 'Here' } });
    expect((await byId(card)).data).toMatchObject({ kind: 'contact', contacts: [{ displayName: 'Bob' }] });
    expect((await byId(poll)).data).toMatchObject({ kind: 'poll', poll: { name: 'Lunch?', options: ['Pizza', 'Sushi'], selectableCount: 1 } });
    expect((await byId(image)).data).toMatchObject({ kind: 'image', text: 'photo', media: { mimetype: 'image/jpeg', caption: 'photo' } });
    expect((await byId(voice)).data).toMatchObject({ kind: 'voice', media: { seconds: 3 } });
    expect((await byId(doc)).data).toMatchObject({ kind: 'document', media: { fileName: 'a.pdf' } });
    const reaction = await t.waitForEvent((e) => e.type === 'message.reaction' && (e.data as { messageId: string }).messageId === target);
    expect(reaction.data).toMatchObject({ emoji: '🔥', from: `${ALICE}@s.whatsapp.net` });
    const edit = await t.waitForEvent((e) => e.type === 'message.edited' && (e.data as { messageId: string }).messageId === target);
    expect(edit.data).toMatchObject({ text: 'target (edited)' });
    await t.waitForEvent((e) => e.type === 'message.deleted' && (e.data as { messageId: string }).messageId === location);
    // carriers never show up as plain messages
    expect(t.events.filter((e) => e.type === 'message.received' && (e.data as { kind: string }).kind === 'unknown')).toHaveLength(0);
  });

  test('malformed requests get a 4xx that names the problem, and nothing is sent', async () => {
    const before = t.runtime.sandbox!.received(ALICE).length;
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/api/v1/sessions/sales/messages/text', { to: ALICE }, 400, 'validation_failed'],
      ['POST', '/api/v1/sessions/sales/messages/text', { to: 'not a number', text: 'x' }, 400, 'invalid_recipient'],
      ['POST', '/api/v1/sessions/sales/messages/text', { to: '+1 555 999 9999', text: 'x' }, 422, 'recipient_not_on_whatsapp'],
      ['POST', '/api/v1/sessions/sales/messages/text', { to: ALICE, text: 'x', quotedMessageId: 'NOPE' }, 404, 'quoted_message_not_found'],
      ['POST', '/api/v1/sessions/nope/messages/text', { to: ALICE, text: 'x' }, 404, 'session_not_found'],
      ['POST', '/api/v1/sessions', { id: 'bad id!' }, 400, 'validation_failed'],
      ['POST', '/api/v1/sessions/sales/messages/image', { to: ALICE, image: { base64: 'AAAA', mimetype: 'image/gif' } }, 415, 'unsupported_media_type'],
      ['POST', '/api/v1/sessions/sales/messages/image', { to: ALICE, image: { url: 'http://127.0.0.1:1/x.png' } }, 400, 'media_url_not_allowed'],
      ['POST', '/api/v1/sessions/sales/messages/image', { to: ALICE }, 400, 'validation_failed'],
      ['POST', '/api/v1/sessions/sales/pairing-code', { phoneNumber: 'abc' }, 400, 'invalid_phone_number'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await t.api(method, path, body);
      expect({ path, body, status: response.status, code: response.body?.error?.code }).toEqual({ path, body, status, code });
      expect(typeof response.body.error.message).toBe('string');
    }
    const unauthorized = await fetch(`${t.runtime.url}/api/v1/sessions`);
    expect(unauthorized.status).toBe(401);
    expect(t.runtime.sandbox!.received(ALICE)).toHaveLength(before);
    expect((await t.api('GET', '/api/v1/sessions/sales')).body.status).toBe('connected');
  });
});

describe('runtime: poll votes and calls', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startRuntime({ logLevel: (process.env.RT_LOG as never) ?? 'silent' });
    t.runtime.sandbox!.createUser({ phone: '15550005101', name: 'Gil' });
    await linkSession(t, 'polls', '15550005100');
  });
  afterAll(async () => {
    await t.close();
  });

  test("a contact's vote on the account's poll becomes poll.vote with the chosen option names", async () => {
    const sim = t.runtime.sandbox!;
    const sock = t.runtime.sessions.get('polls').socket!;
    const poll = await sock.sendMessage('15550005101@s.whatsapp.net', { poll: { name: 'Lunch?', values: ['Pizza', 'Sushi', 'Salad'], selectableCount: 2 } });
    const received = await sim.waitForReceived('15550005101', (m) => m.id === poll!.key.id);
    const secret = received.message.messageContextInfo!.messageSecret!;
    const vote = pollVote({
      poll: { remoteJid: '15550005100@s.whatsapp.net', id: poll!.key.id!, fromMe: false },
      pollCreatorJid: '15550005100@s.whatsapp.net',
      voterJid: '15550005101@s.whatsapp.net',
      secret,
      options: ['Sushi', 'Salad'],
    });
    await sim.sendMessage('15550005101', '15550005100', vote);
    const event = await t.waitForEvent((e) => e.type === 'poll.vote');
    expect(event.data).toMatchObject({ pollMessageId: poll!.key.id, poll: 'Lunch?', voter: '15550005101@s.whatsapp.net', voterPhoneNumber: '15550005101', selectedOptions: ['Sushi', 'Salad'] });
    expect(t.events.filter((e) => e.type === 'message.received' && (e.data as { kind: string }).kind === 'unknown')).toHaveLength(0);
  });

  test('calls: call.received; with automatic rejection the call is rejected and the caller gets the reply', async () => {
    const sim = t.runtime.sandbox!;
    const first = sim.startCall('15550005101', '15550005100', { video: true });
    const offer = await t.waitForEvent((e) => e.type === 'call.received' && (e.data as { callId: string }).callId === first);
    expect(offer.data).toMatchObject({ status: 'offer', isVideo: true, autoRejected: false, callerPhoneNumber: '15550005101' });
    expect(sim.callOutcome(first)).toBe('ringing');

    const patched = await t.api('PATCH', '/api/v1/sessions/polls', { settings: { rejectCalls: true, rejectCallsMessage: 'I cannot take calls, please write.' } });
    expect(patched.body.settings).toEqual({ rejectCalls: true, rejectCallsMessage: 'I cannot take calls, please write.' });
    const second = sim.startCall('15550005101', '15550005100');
    const rejected = await t.waitForEvent((e) => e.type === 'call.received' && (e.data as { callId: string }).callId === second);
    expect(rejected.data).toMatchObject({ autoRejected: true });
    expect(sim.callOutcome(second)).toBe('rejected');
    expect((await sim.waitForReceived('15550005101', (m) => m.text === 'I cannot take calls, please write.')).from).toBe('15550005100@s.whatsapp.net');
    expect((await t.api('PATCH', '/api/v1/sessions/polls', { settings: { rejectCalls: 'yes' } })).status).toBe(400);
  });
});

describe('runtime: groups', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startRuntime();
    t.runtime.sandbox!.createUser({ phone: '15550005201', name: 'Hal' });
    t.runtime.sandbox!.createUser({ phone: '15550005202', name: 'Ida' });
    await linkSession(t, 'groups', '15550005200');
  });
  afterAll(async () => {
    await t.close();
  });

  test('joined, updated, participants and messages both ways as events', async () => {
    const sim = t.runtime.sandbox!;
    const group = sim.groups.create(sim.user('15550005201'), 'Book club', [sim.user('15550005200')]);
    const groupId = `${group.id}@g.us`;
    const joined = await t.waitForEvent((e) => e.type === 'group.joined' && (e.data as { groupId: string }).groupId === groupId);
    expect(joined.data).toMatchObject({ subject: 'Book club' });

    sim.groups.change(group, sim.user('15550005201'), { subject: 'Book club 2' });
    const updated = await t.waitForEvent((e) => e.type === 'group.updated' && (e.data as { groupId: string }).groupId === groupId);
    expect(updated.data).toMatchObject({ changes: { subject: 'Book club 2' } });
    sim.groups.change(group, sim.user('15550005201'), { action: 'add', users: [sim.user('15550005202')] });
    const added = await t.waitForEvent((e) => e.type === 'group.participants' && (e.data as { groupId: string }).groupId === groupId);
    expect(added.data).toMatchObject({ action: 'add', participants: [{ id: '15550005202@s.whatsapp.net' }] });

    const id = await sim.sendGroupMessage('15550005201', groupId, { conversation: 'chapter 3 tonight' });
    const received = await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id);
    expect(received.data).toMatchObject({ chatId: groupId, chatType: 'group', from: '15550005201@s.whatsapp.net', pushName: 'Hal', text: 'chapter 3 tonight' });

    const sent = await t.api('POST', '/api/v1/sessions/groups/messages/text', { to: groupId, text: 'see you there', mentions: ['+1 555 000 5201'] });
    expect(sent.status).toBe(200);
    for (const member of ['15550005201', '15550005202']) {
      const got = await sim.waitForReceived(member, (m) => m.id === sent.body.id);
      expect(got.chat).toBe(groupId);
      expect(got.message.extendedTextMessage?.contextInfo?.mentionedJid).toEqual(['15550005201@s.whatsapp.net']);
    }
  });
});
