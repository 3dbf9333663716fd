/** One person, one chat: a contact writing under phone-number and under LID addressing (WhatsApp's LID migration). */
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Receiver } from '../helpers/receiver';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import type { MessageEventData, RuntimeEvent } from '../../src/runtime/events/schema';

const ACCOUNT = '15550015000';

describe('a contact under both phone number and LID is one chat', () => {
  let t: TestRuntime;
  beforeEach(async () => {
    t = await startRuntime();
    await linkSession(t, 'lid', ACCOUNT);
  });
  afterEach(async () => {
    await t.close();
  });
  const received = (id: string) => async () => (await t.waitForEvent((e: RuntimeEvent) => e.type === 'message.received' && e.data.messageId === id)).data as unknown as MessageEventData;

  test('phone-number addressing first, then LID without the number: one chat named by the number, with both messages', async () => {
    const sim = t.runtime.sandbox!;
    const kai = sim.createUser({ phone: '15550015001', name: 'Kai' });
    const first = await sim.sendMessage(kai.pn, ACCOUNT, buildMessage.text('by number'));
    const a = await received(first)();
    const second = await sim.sendMessage(kai.pn, ACCOUNT, buildMessage.text('by lid'), { addressing: 'lid', withPhoneNumber: false });
    const b = await received(second)();
    for (const data of [a, b]) expect(data).toMatchObject({ chatId: kai.pnJid, chatLid: kai.lidJid, from: kai.pnJid, fromLid: kai.lidJid });
    const chats = (await t.api('GET', '/api/v1/sessions/lid/chats')).body.chats;
    expect(chats).toHaveLength(1);
    expect(chats[0]).toMatchObject({ id: kai.pnJid, lid: kai.lidJid, unreadCount: 2, lastMessage: { messageId: second } });
    for (const name of [kai.pnJid, kai.lidJid, kai.pn]) {
      const page = await t.api('GET', `/api/v1/sessions/lid/chats/${encodeURIComponent(name)}/messages`);
      expect(page.body.messages.map((m: { messageId: string }) => m.messageId)).toEqual([second, first]);
    }
  });

  test('LID first while the number is unknown, then the number: the LID chat is merged into the number chat', async () => {
    const sim = t.runtime.sandbox!;
    const mo = sim.createUser({ phone: '15550015002', name: 'Mo' });
    const first = await sim.sendMessage(mo.pn, ACCOUNT, buildMessage.text('who am I?'), { addressing: 'lid', withPhoneNumber: false });
    expect(await received(first)()).toMatchObject({ chatId: mo.lidJid, fromLid: mo.lidJid });
    expect((await t.api('GET', '/api/v1/sessions/lid/chats')).body.chats.map((c: { id: string }) => c.id)).toEqual([mo.lidJid]);
    const second = await sim.sendMessage(mo.pn, ACCOUNT, buildMessage.text('my number'), { addressing: 'lid' });
    expect(await received(second)()).toMatchObject({ chatId: mo.pnJid, chatLid: mo.lidJid, from: mo.pnJid });
    const chats = (await t.api('GET', '/api/v1/sessions/lid/chats')).body.chats;
    expect(chats).toHaveLength(1);
    expect(chats[0]).toMatchObject({ id: mo.pnJid, lid: mo.lidJid, unreadCount: 2, name: 'Mo' });
    const page = await t.api('GET', `/api/v1/sessions/lid/chats/${mo.pn}/messages?limit=1`);
    expect(page.body.messages.map((m: { messageId: string }) => m.messageId)).toEqual([second]);
    const older = await t.api('GET', `/api/v1/sessions/lid/chats/${mo.pn}/messages?limit=5&before=${page.body.nextBefore}`);
    expect(older.body.messages.map((m: { messageId: string }) => m.messageId)).toEqual([first]);
  });

  test('a Send and Wait asked on the number is answered by a reply that arrives on the LID', async () => {
    const sim = t.runtime.sandbox!;
    const zoe = sim.createUser({ phone: '15550015003', name: 'Zoe' });
    await received(await sim.sendMessage(zoe.pn, ACCOUNT, buildMessage.text('hi')))();
    const n8n = await Receiver.start();
    try {
      const asked = await t.api('POST', '/api/v1/sessions/lid/messages/text', { to: zoe.pn, text: 'Which size?', waitForReply: { responseType: 'freeText', textUrl: `${n8n.url}/resume` } });
      expect(asked.status).toBe(200);
      await sim.waitForReceived(zoe.pn, (m) => m.id === asked.body.id);
      const reply = await sim.sendMessage(zoe.pn, ACCOUNT, buildMessage.text('large'), { addressing: 'lid', withPhoneNumber: false });
      expect(await received(reply)()).toMatchObject({ chatId: zoe.pnJid, chatLid: zoe.lidJid });
      await n8n.waitFor((requests) => requests.length === 1);
      expect(n8n.requests[0].json).toEqual({ text: 'large' });
    } finally {
      await n8n.close();
    }
  });
});
