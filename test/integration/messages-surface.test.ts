import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';

const ACCOUNT = '15550007000';
const BOB = '15550007001';
const CAROL = '15550007002';
const BOB_JID = `${BOB}@s.whatsapp.net`;

const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A second of 8 kHz mono 16-bit PCM sine as a WAV file. */
function wav(): Buffer {
  const samples = Buffer.alloc(16000);
  for (let i = 0; i < 8000; i++) samples.writeInt16LE(Math.round(Math.sin((i / 8000) * 2 * Math.PI * 440) * 8000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples.length, 40);
  return Buffer.concat([header, samples]);
}

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 3)]);
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(300, 1)]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x40, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(60, 2)]);

describe('messages: every kind and action through real Baileys, checked on the contact\'s phone', () => {
  let t: TestRuntime;
  let page: Server;
  let pageUrl = '';

  beforeAll(async () => {
    page = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<html><head><title>Spring sale</title><meta property="og:title" content="Spring sale"><meta property="og:description" content="Everything 20% off"></head><body>x</body></html>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/sale`;
    t = await startRuntime({ mediaAllowPrivateNetworks: true, mediaMaxBytes: 64 * 1024 });
    const sim = t.runtime.sandbox!;
    sim.createUser({ phone: BOB, name: 'Bob' });
    sim.createUser({ phone: CAROL, name: 'Carol' });
    await linkSession(t, 'shop', ACCOUNT);
    await t.api('POST', '/api/v1/sessions', { id: 'idle' });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => page.close(resolve));
  });

  const post = (path: string, body: unknown, headers?: Record<string, string>) => t.api('POST', `/api/v1/sessions/shop${path}`, body, headers);
  const receivedBy = (phone: string, id: string) => t.runtime.sandbox!.waitForReceived(phone, (m) => m.id === id);

  test('text with a mention and a link preview', async () => {
    const { status, body } = await post('/messages/text', { to: BOB, text: `hi @${CAROL} see ${pageUrl}`, mentions: [CAROL] });
    expect(status).toBe(200);
    const got = await receivedBy(BOB, body.id);
    const ext = got.message.extendedTextMessage!;
    expect(ext.contextInfo?.mentionedJid).toEqual([`${CAROL}@s.whatsapp.net`]);
    expect(ext.title).toBe('Spring sale');
    expect(ext.description).toBe('Everything 20% off');
    expect(ext.matchedText).toBe(pageUrl);
  });

  test('linkPreview: false sends the bare text', async () => {
    const { body } = await post('/messages/text', { to: BOB, text: `plain ${pageUrl}`, linkPreview: false });
    const got = await receivedBy(BOB, body.id);
    expect(got.text).toBe(`plain ${pageUrl}`);
    expect(got.message.extendedTextMessage?.title ?? undefined).toBeUndefined();
  });

  test('video, audio, document and sticker: the contact downloads the same bytes with the right metadata', async () => {
    const sim = t.runtime.sandbox!;
    const video = await post('/messages/video', { to: BOB, caption: 'clip', media: { base64: MP4.toString('base64') } });
    expect(video.status).toBe(200);
    const gotVideo = await receivedBy(BOB, video.body.id);
    expect(gotVideo.message.videoMessage).toMatchObject({ mimetype: 'video/mp4', caption: 'clip' });
    expect(await sim.downloadMedia(gotVideo.message)).toEqual(MP4);

    const form = new FormData();
    form.append('to', BOB);
    form.append('caption', 'the invoice');
    form.append('file', new Blob([Buffer.from('%PDF-1.4 invoice')], { type: 'application/pdf' }), 'invoice-42.pdf');
    const doc = await t.api('POST', '/api/v1/sessions/shop/messages/document', form);
    expect(doc.status).toBe(200);
    const gotDoc = await receivedBy(BOB, doc.body.id);
    const document = gotDoc.message.documentWithCaptionMessage?.message?.documentMessage ?? gotDoc.message.documentMessage;
    expect(document).toMatchObject({ mimetype: 'application/pdf', fileName: 'invoice-42.pdf' });
    expect((await sim.downloadMedia({ documentMessage: document })).toString()).toBe('%PDF-1.4 invoice');

    const audio = await post('/messages/audio', { to: BOB, media: { base64: Buffer.concat([Buffer.from('ID3'), Buffer.alloc(200, 5)]).toString('base64') } });
    expect(audio.status).toBe(200);
    expect((await receivedBy(BOB, audio.body.id)).message.audioMessage).toMatchObject({ mimetype: 'audio/mpeg', ptt: false });

    const sticker = await post('/messages/sticker', { to: BOB, media: { base64: WEBP.toString('base64') } });
    expect(sticker.status).toBe(200);
    expect((await receivedBy(BOB, sticker.body.id)).message.stickerMessage?.mimetype).toBe('image/webp');
  });

  test('voice note: OGG/Opus passes through; other audio is converted to OGG/Opus with ffmpeg', async () => {
    if (!hasFfmpeg) throw new Error('ffmpeg is not installed: this test needs it (apt-get install ffmpeg); .ci/run installs it');
    const sim = t.runtime.sandbox!;
    const { status, body } = await post('/messages/voice', { to: BOB, media: { base64: wav().toString('base64') } });
    expect(status).toBe(200);
    const got = await receivedBy(BOB, body.id);
    expect(got.message.audioMessage).toMatchObject({ ptt: true, mimetype: 'audio/ogg; codecs=opus' });
    const ogg = await sim.downloadMedia(got.message);
    expect(ogg.subarray(0, 4).toString()).toBe('OggS');
    expect(ogg.includes(Buffer.from('OpusHead'))).toBe(true);

    const again = await post('/messages/voice', { to: BOB, media: { base64: ogg.toString('base64') } });
    const gotAgain = await receivedBy(BOB, again.body.id);
    expect(await sim.downloadMedia(gotAgain.message)).toEqual(ogg);
  });

  test('location, contact cards, single and multiple choice polls', async () => {
    const location = await post('/messages/location', { to: BOB, latitude: 52.52, longitude: 13.405, name: 'Shop', address: 'Main St 1' });
    expect((await receivedBy(BOB, location.body.id)).message.locationMessage).toMatchObject({ degreesLatitude: 52.52, degreesLongitude: 13.405, name: 'Shop', address: 'Main St 1' });

    const contact = await post('/messages/contact', { to: BOB, contacts: [{ name: 'Support; Team', phone: '+1 555 000 9999', organization: 'ACME' }] });
    expect(contact.status).toBe(200);
    const card = (await receivedBy(BOB, contact.body.id)).message.contactMessage!;
    expect(card.displayName).toBe('Support; Team');
    expect(card.vcard).toContain('TEL;type=CELL;type=VOICE;waid=15550009999:+15550009999');
    expect(card.vcard).toContain('FN:Support\\; Team');

    const two = await post('/messages/contact', { to: BOB, contacts: [{ name: 'A', phone: '15550000001' }, { vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:B\nEND:VCARD' }] });
    expect((await receivedBy(BOB, two.body.id)).message.contactsArrayMessage?.contacts).toHaveLength(2);

    const single = await post('/messages/poll', { to: BOB, name: 'Lunch?', options: ['Pizza', 'Salad'] });
    const poll = (await receivedBy(BOB, single.body.id)).message;
    const creation = poll.pollCreationMessageV3 ?? poll.pollCreationMessage;
    expect(creation).toMatchObject({ name: 'Lunch?', selectableOptionsCount: 1 });
    expect(creation?.options?.map((o) => o.optionName)).toEqual(['Pizza', 'Salad']);
    const multi = await post('/messages/poll', { to: BOB, name: 'Toppings', options: ['Olives', 'Ham', 'Corn'], multipleAnswers: true });
    const multiMessage = (await receivedBy(BOB, multi.body.id)).message;
    expect((multiMessage.pollCreationMessageV3 ?? multiMessage.pollCreationMessage)?.selectableOptionsCount).toBe(3);
  });

  test('react, remove the reaction, edit, delete for everyone, forward', async () => {
    const sim = t.runtime.sandbox!;
    const incoming = await sim.sendMessage(BOB, ACCOUNT, buildMessage.text('can you confirm?'));
    await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === incoming);

    const react = await post('/messages/reaction', { chatId: BOB, messageId: incoming, emoji: '👍' });
    expect(react.status).toBe(200);
    expect((await receivedBy(BOB, react.body.id)).message.reactionMessage).toMatchObject({ text: '👍', key: { id: incoming, fromMe: false } });
    const unreact = await post('/messages/reaction', { chatId: BOB, messageId: incoming, emoji: '' });
    expect((await receivedBy(BOB, unreact.body.id)).message.reactionMessage?.text).toBe('');

    const sent = await post('/messages/text', { to: BOB, text: 'price is 10' });
    await t.waitForEvent((e) => e.type === 'message.sent' && (e.data as { messageId: string }).messageId === sent.body.id);
    const edit = await post('/messages/edit', { chatId: BOB_JID, messageId: sent.body.id, text: 'price is 12' });
    expect(edit.status).toBe(200);
    const edited = (await receivedBy(BOB, edit.body.id)).message.protocolMessage!;
    expect(edited.key?.id).toBe(sent.body.id);
    expect(edited.editedMessage?.conversation ?? edited.editedMessage?.extendedTextMessage?.text).toBe('price is 12');

    const del = await post('/messages/delete', { chatId: BOB, messageId: sent.body.id });
    expect(del.status).toBe(200);
    const revoke = (await receivedBy(BOB, del.body.id)).message.protocolMessage!;
    expect(revoke).toMatchObject({ type: 0, key: { id: sent.body.id } });

    const forward = await post('/messages/forward', { to: CAROL, chatId: BOB, messageId: incoming });
    expect(forward.status).toBe(200);
    const forwarded = await receivedBy(CAROL, forward.body.id);
    expect(forwarded.text).toBe('can you confirm?');
    expect(forwarded.message.extendedTextMessage?.contextInfo?.isForwarded).toBe(true);

    const notMine = await post('/messages/edit', { chatId: BOB, messageId: incoming, text: 'x' });
    expect(notMine.status).toBe(422);
    expect(notMine.body.error.code).toBe('not_own_message');
  });

  test('mark read sends a read receipt; typing and recording reach the contact', async () => {
    const sim = t.runtime.sandbox!;
    const incoming = await sim.sendMessage(BOB, ACCOUNT, buildMessage.text('are you there?'));
    await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === incoming);
    const read = await post('/messages/read', { chatId: BOB, messageIds: [incoming] });
    expect(read.status).toBe(200);
    await until(() => sim.receipts(BOB).some((r) => r.id === incoming && r.type === 'read'));

    expect((await post('/presence', { chatId: BOB, state: 'composing' })).status).toBe(200);
    expect((await post('/presence', { chatId: BOB, state: 'recording' })).status).toBe(200);
    expect((await post('/presence', { chatId: BOB, state: 'paused' })).status).toBe(200);
    await until(() => sim.user(BOB).chatStates.length >= 3);
    expect(sim.user(BOB).chatStates.map((s) => s.state)).toEqual(['composing', 'recording', 'paused']);
    expect(sim.user(BOB).chatStates[0].from).toBe(`${ACCOUNT}@s.whatsapp.net`);
  });

  test('Idempotency-Key: a retried send returns the first result and the contact gets one message', async () => {
    const sim = t.runtime.sandbox!;
    const headers = { 'idempotency-key': 'order-1001-confirmation' };
    const first = await post('/messages/text', { to: BOB, text: 'order 1001 confirmed' }, headers);
    const [second, third] = await Promise.all([post('/messages/text', { to: BOB, text: 'order 1001 confirmed' }, headers), post('/messages/text', { to: BOB, text: 'order 1001 confirmed' }, headers)]);
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    await receivedBy(BOB, first.body.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sim.received(BOB).filter((m) => m.text === 'order 1001 confirmed')).toHaveLength(1);

    const reused = await post('/messages/text', { to: BOB, text: 'something else' }, headers);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
  });

  test('downloading a received image streams the bytes with type and name', async () => {
    const sim = t.runtime.sandbox!;
    const upload = await sim.uploadMedia({ kind: 'document', data: Buffer.from('quarterly numbers'), mimetype: 'text/plain', fileName: 'q3.txt' });
    const id = await sim.sendMessage(BOB, ACCOUNT, upload);
    await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id);
    const response = await fetch(`${t.runtime.url}/api/v1/sessions/shop/messages/${id}/media?chatId=${BOB}`, { headers: { authorization: 'Bearer test-admin-key-0123456789abcdef' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(response.headers.get('content-disposition')).toContain('q3.txt');
    expect(Buffer.from(await response.arrayBuffer()).toString()).toBe('quarterly numbers');

    const text = await sim.sendMessage(BOB, ACCOUNT, buildMessage.text('no media here'));
    await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === text);
    const none = await t.api('GET', `/api/v1/sessions/shop/messages/${text}/media?chatId=${BOB}`);
    expect(none.status).toBe(422);
    expect(none.body.error.code).toBe('no_media');
  });

  describe('bad input is refused with a 4xx that names the problem, and nothing is sent', () => {
    const cases: [string, string, unknown, number, string][] = [
      ['missing field', '/messages/location', { to: BOB, latitude: 1 }, 400, 'longitude'],
      ['wrong type', '/messages/location', { to: BOB, latitude: 'north', longitude: 1 }, 400, 'latitude'],
      ['out of range', '/messages/location', { to: BOB, latitude: 91, longitude: 1 }, 400, 'latitude'],
      ['unknown field', '/messages/text', { to: BOB, text: 'x', colour: 'red' }, 400, 'colour'],
      ['not a phone number', '/messages/text', { to: 'bob', text: 'x' }, 400, 'bob'],
      ['number not on WhatsApp', '/messages/text', { to: '15559999999', text: 'x' }, 422, 'not on WhatsApp'],
      ['unknown message to react to', '/messages/reaction', { chatId: BOB, messageId: 'NOPE', emoji: '👍' }, 404, 'NOPE'],
      ['two emojis', '/messages/reaction', { chatId: BOB, messageId: 'NOPE', emoji: '👍👍' }, 400, 'single emoji'],
      ['poll with one option', '/messages/poll', { to: BOB, name: 'q', options: ['a'] }, 400, 'options'],
      ['poll with duplicate options', '/messages/poll', { to: BOB, name: 'q', options: ['a', 'A'] }, 400, 'different'],
      ['contact without phone', '/messages/contact', { to: BOB, contacts: [{ name: 'x' }] }, 400, 'phone'],
      ['media too large', '/messages/image', { to: BOB, media: { base64: Buffer.concat([PNG, Buffer.alloc(70 * 1024)]).toString('base64') } }, 413, 'larger'],
      ['unsupported media type', '/messages/sticker', { to: BOB, media: { base64: PNG.toString('base64') } }, 415, 'image/png'],
      ['both base64 and url', '/messages/video', { to: BOB, media: { base64: 'AAAA', url: 'https://x.test/a.mp4' } }, 400, 'exactly one'],
      ['caption on a sticker', '/messages/sticker', { to: BOB, caption: 'x', media: { base64: WEBP.toString('base64') } }, 400, 'caption'],
      ['unknown presence state', '/presence', { chatId: BOB, state: 'dancing' }, 400, 'state'],
      ['unknown chat to mark read', '/messages/read', { chatId: BOB, messageIds: ['NOPE'] }, 404, 'NOPE'],
    ];
    test.each(cases)('%s', async (_name, path, body, status, mention) => {
      const before = t.runtime.sandbox!.received(BOB).length;
      const response = await post(path, body);
      expect(response.status).toBe(status);
      expect(JSON.stringify(response.body.error)).toContain(mention);
      expect(t.runtime.sandbox!.received(BOB).length).toBe(before);
    });

    test('a session that is not connected', async () => {
      const response = await t.api('POST', '/api/v1/sessions/idle/messages/text', { to: BOB, text: 'x' });
      expect(response.status).toBe(409);
      expect(response.body.error.message).toContain('not connected');
    });

    test('an unknown session', async () => {
      const response = await t.api('POST', '/api/v1/sessions/ghost/messages/image', { to: BOB, media: { base64: PNG.toString('base64') } });
      expect(response.status).toBe(404);
    });
  });
});
