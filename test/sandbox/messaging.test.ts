import { Simulator } from '../../src/runtime/sandbox/simulator';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { TestClient, linkByQr } from '../helpers/baileys-client';

const ACCOUNT = '15550002000';
const ALICE = '15550002001';

describe('sandbox: messages through real Baileys', () => {
  let sim: Simulator;
  let client: TestClient;

  beforeAll(async () => {
    sim = await Simulator.start();
    sim.createUser({ phone: ALICE, name: 'Alice' });
    client = await linkByQr(sim, ACCOUNT);
  });
  afterAll(async () => {
    await client.end();
    await sim.stop();
  });

  test('onWhatsApp tells known numbers from unknown ones', async () => {
    const result = await client.sock.onWhatsApp(`+${ALICE}`, '+15559999999');
    expect(result).toEqual([{ jid: `${ALICE}@s.whatsapp.net`, exists: true }]);
  });

  test('text from the account: the contact decrypts it; delivery then read receipts become status updates', async () => {
    alice().autoDeliveryReceipt = true;
    const sent = await client.sock.sendMessage(`${ALICE}@s.whatsapp.net`, { text: 'hello from baileys' });
    const received = await sim.waitForReceived(ALICE, (m) => m.id === sent!.key.id);
    expect(received.text).toBe('hello from baileys');
    expect(received.from).toBe(`${ACCOUNT}@s.whatsapp.net`);
    const delivered = await statusOf(sent!.key.id!, 3);
    expect(delivered).toBe(3);
    sim.markRead(ALICE, ACCOUNT, [sent!.key.id!]);
    expect(await statusOf(sent!.key.id!, 4)).toBe(4);
  });

  test('a contact sends text, reply, reaction, edit, delete, location, contact card and poll', async () => {
    const chat = `${ACCOUNT}@s.whatsapp.net`;
    const textId = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('hi there'));
    const text = await upsert(textId);
    expect(text.message?.conversation).toBe('hi there');
    expect(text.pushName).toBe('Alice');
    expect(text.key.fromMe).toBe(false);

    const replyId = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.reply('a reply', { remoteJid: chat, id: textId, fromMe: true, participant: `${ALICE}@s.whatsapp.net`, message: { conversation: 'hi there' } }));
    const reply = await upsert(replyId);
    expect(reply.message?.extendedTextMessage?.contextInfo?.stanzaId).toBe(textId);
    expect(reply.message?.extendedTextMessage?.contextInfo?.quotedMessage?.conversation).toBe('hi there');

    await sim.sendMessage(ALICE, ACCOUNT, buildMessage.reaction({ remoteJid: chat, id: textId, fromMe: true }, '👍'));
    const reaction = await client.waitFor('messages.reaction', (r) => r.some((x) => x.key.id === textId));
    expect(reaction.find((x) => x.key.id === textId)?.reaction.text).toBe('👍');

    await sim.sendMessage(ALICE, ACCOUNT, buildMessage.edit({ remoteJid: chat, id: textId, fromMe: true }, 'hi there (edited)'));
    const edit = await client.waitFor('messages.update', (u) => u.some((x) => x.key.id === textId && !!x.update.message));
    const edited = edit.find((x) => x.key.id === textId)!.update.message!;
    expect(edited.editedMessage?.message?.protocolMessage?.editedMessage?.conversation ?? edited.editedMessage?.message?.conversation).toBe('hi there (edited)');

    await sim.sendMessage(ALICE, ACCOUNT, buildMessage.revoke({ remoteJid: chat, id: replyId, fromMe: true }));
    const revoke = await client.waitFor('messages.update', (u) => u.some((x) => x.key.id === replyId && x.update.messageStubType === 1));
    expect(revoke.find((x) => x.key.id === replyId)!.update.message).toBeNull();

    const locationId = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.location(52.52, 13.405, 'Berlin'));
    expect((await upsert(locationId)).message?.locationMessage?.name).toBe('Berlin');

    const cardId = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.contactCard('Bob', '+1 555 000 2002'));
    expect((await upsert(cardId)).message?.contactMessage?.vcard).toContain('waid=15550002002');

    const pollId = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.poll('Lunch?', ['Pizza', 'Sushi']));
    const poll = await upsert(pollId);
    expect(poll.message?.pollCreationMessageV3?.options?.map((o) => o.optionName)).toEqual(['Pizza', 'Sushi']);
  });

  test("the account's own reaction, edit and delete reach the contact", async () => {
    const jid = `${ALICE}@s.whatsapp.net`;
    const sent = await client.sock.sendMessage(jid, { text: 'original' });
    await sim.waitForReceived(ALICE, (m) => m.id === sent!.key.id);
    await client.sock.sendMessage(jid, { react: { text: '❤️', key: sent!.key } });
    const reaction = await sim.waitForReceived(ALICE, (m) => m.message.reactionMessage?.key?.id === sent!.key.id);
    expect(reaction.message.reactionMessage?.text).toBe('❤️');
    await client.sock.sendMessage(jid, { text: 'changed', edit: sent!.key });
    const edit = await sim.waitForReceived(ALICE, (m) => m.message.protocolMessage?.type === 14 && m.message.protocolMessage.key?.id === sent!.key.id);
    expect(edit.message.protocolMessage?.editedMessage?.conversation ?? edit.message.protocolMessage?.editedMessage?.extendedTextMessage?.text).toBe('changed');
    await client.sock.sendMessage(jid, { delete: sent!.key });
    const revoke = await sim.waitForReceived(ALICE, (m) => m.message.protocolMessage?.type === 0 && m.message.protocolMessage.key?.id === sent!.key.id);
    expect(revoke.message.protocolMessage?.key?.fromMe).toBe(true);
  });

  test('messages sent while the account is offline arrive at its next login as append', async () => {
    sim.setOnline(ACCOUNT, false);
    await client.waitFor('connection.update', (u) => u.connection === 'close');
    const queuedId = await sim.sendMessage(ALICE, ACCOUNT, buildMessage.text('while you were away'));
    sim.setOnline(ACCOUNT, true);
    client.events.length = 0;
    client.connect();
    const batch = await client.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === queuedId));
    expect(batch.type).toBe('append');
    expect(batch.messages.find((m) => m.key.id === queuedId)?.message?.conversation).toBe('while you were away');
  });

  function alice() {
    return sim.user(ALICE);
  }

  async function upsert(id: string) {
    const batch = await client.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === id));
    return batch.messages.find((m) => m.key.id === id)!;
  }

  /** The status a sent message reached, from either a messages.update or (when folded) its own upsert. */
  async function statusOf(id: string, atLeast: number): Promise<number> {
    const deadline = Date.now() + 8000;
    for (;;) {
      const statuses = client.events.flatMap((e) => {
        if (e.name === 'messages.update') return (e.data as { key: { id?: string }; update: { status?: number } }[]).filter((x) => x.key.id === id).map((x) => x.update.status ?? 0);
        if (e.name === 'messages.upsert') return (e.data as { messages: { key: { id?: string }; status?: number }[] }).messages.filter((m) => m.key.id === id).map((m) => m.status ?? 0);
        return [];
      });
      const best = Math.max(0, ...statuses);
      if (best >= atLeast) return best;
      if (Date.now() > deadline) return best;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
});
