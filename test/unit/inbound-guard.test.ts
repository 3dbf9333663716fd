import { EventEmitter } from 'node:events';
import { loadBaileys, type Baileys, type WASocket } from '../../src/runtime/whatsapp/baileys';
import { guardInbound, rebuildMessage, type DecryptedInbound } from '../../src/runtime/whatsapp/inbound-guard';

/**
 * The journal's side of decryption: what the guard writes for a message, and the message rebuilt from it, with
 * Baileys' own protobufs and padding. Only the decryption itself is Baileys' repository, given here as plaintexts.
 */
describe('inbound guard: what is journaled and rebuilt', () => {
  let b: Baileys;
  const me = { id: '15550009999:1@s.whatsapp.net' };
  beforeAll(async () => {
    b = await loadBaileys();
  });

  /**
   * A socket whose repository "decrypts" each ciphertext to the plaintext given for it, in a key transaction that
   * records when its commit starts; `persist` (default: keep the entry) is the journal's write.
   */
  function guarded(plaintexts: Map<Uint8Array, Uint8Array>, options: { committedWithKeys?: boolean; persist?: (inbound: DecryptedInbound) => Promise<void> } = {}) {
    const ws = new EventEmitter();
    const decrypt = async (ciphertext: Uint8Array) => b.writeRandomPadMax16(plaintexts.get(ciphertext)!);
    const repository = {
      decryptMessage: (args: { ciphertext: Uint8Array; jid: string }) => decrypt(args.ciphertext),
      decryptGroupMessage: (args: { msg: Uint8Array; group: string }) => decrypt(args.msg),
    };
    const steps: string[] = [];
    const transaction = async <T>(work: () => Promise<T>) => {
      const result = await work();
      steps.push('key commit');
      return result;
    };
    const sock = { ws, signalRepository: repository, authState: { keys: { transaction } } } as unknown as WASocket;
    const journaled: DecryptedInbound[] = [];
    guardInbound(b, sock, options.persist ?? (async (inbound) => void journaled.push(inbound)), options.committedWithKeys ?? true);
    return { ws, repository, journaled, steps };
  }

  const encoded = (message: Parameters<Baileys['proto']['Message']['create']>[0]) => b.proto.Message.encode(b.proto.Message.create(message)).finish();

  test('a direct message is journaled as it was decrypted and rebuilt with its text', async () => {
    const ciphertext = Buffer.from('c1');
    const { ws, repository, journaled } = guarded(new Map([[ciphertext, encoded({ conversation: 'hello' })]]));
    const attrs = { id: 'MSG1', from: '15550001111@s.whatsapp.net', t: '1700000000', type: 'text', notify: 'Ann' };
    ws.emit('CB:message', { tag: 'message', attrs, content: [{ tag: 'enc', attrs: { type: 'msg' }, content: ciphertext }] });
    await repository.decryptMessage({ ciphertext, jid: attrs.from });
    expect(journaled).toHaveLength(1);
    expect(journaled[0].attrs).toEqual(attrs);
    const rebuilt = rebuildMessage(b, journaled[0], me);
    expect(rebuilt.key).toMatchObject({ id: 'MSG1', remoteJid: '15550001111@s.whatsapp.net', fromMe: false });
    expect(rebuilt.message?.conversation).toBe('hello');
  });

  test("a message the phone sent from the account's other device is rebuilt with its content, not the wrapper", async () => {
    const ciphertext = Buffer.from('c2');
    const wrapped = encoded({ deviceSentMessage: { destinationJid: '15550001111@s.whatsapp.net', message: { conversation: 'sent from the phone' } } });
    const { ws, repository, journaled } = guarded(new Map([[ciphertext, wrapped]]));
    const attrs = { id: 'MSG2', from: '15550009999@s.whatsapp.net', recipient: '15550001111@s.whatsapp.net', t: '1700000001', type: 'text' };
    ws.emit('CB:message', { tag: 'message', attrs, content: [{ tag: 'enc', attrs: { type: 'msg' }, content: ciphertext }] });
    await repository.decryptMessage({ ciphertext, jid: attrs.from });
    const rebuilt = rebuildMessage(b, journaled[0], me);
    expect(rebuilt.message?.conversation).toBe('sent from the phone');
    expect(rebuilt.message?.deviceSentMessage).toBeFalsy();
  });

  test('a group message decrypted in two parts is journaled after each, the second with both parts', async () => {
    const keyPart = Buffer.from('c3');
    const contentPart = Buffer.from('c4');
    const distribution = { groupId: '120363000000000001@g.us', axolotlSenderKeyDistributionMessage: Buffer.from([1, 2, 3]) };
    const { ws, repository, journaled } = guarded(new Map([[keyPart, encoded({ senderKeyDistributionMessage: distribution })], [contentPart, encoded({ conversation: 'to the group' })]]));
    const attrs = { id: 'MSG3', from: '120363000000000001@g.us', participant: '15550001111@s.whatsapp.net', t: '1700000002', type: 'text' };
    ws.emit('CB:message', { tag: 'message', attrs, content: [{ tag: 'enc', attrs: { type: 'pkmsg' }, content: keyPart }, { tag: 'enc', attrs: { type: 'skmsg' }, content: contentPart }] });
    await repository.decryptMessage({ ciphertext: keyPart, jid: attrs.participant });
    await repository.decryptGroupMessage({ msg: contentPart, group: attrs.from });
    expect(journaled).toHaveLength(2);
    expect(rebuildMessage(b, journaled[0], me).message?.conversation).toBeFalsy();
    const rebuilt = rebuildMessage(b, journaled[1], me);
    expect(rebuilt.key).toMatchObject({ id: 'MSG3', remoteJid: '120363000000000001@g.us', participant: '15550001111@s.whatsapp.net' });
    expect(rebuilt.message?.conversation).toBe('to the group');
    expect(rebuilt.message?.senderKeyDistributionMessage?.groupId).toBe('120363000000000001@g.us');
  });

  test("the phone's own peer traffic and ciphertexts never seen in a stanza are not journaled", async () => {
    const peer = Buffer.from('c5');
    const unseen = Buffer.from('c6');
    const { ws, repository, journaled } = guarded(new Map([[peer, encoded({ conversation: 'peer' })], [unseen, encoded({ conversation: 'unseen' })]]));
    ws.emit('CB:message', { tag: 'message', attrs: { id: 'P1', from: '15550009999@s.whatsapp.net', category: 'peer' }, content: [{ tag: 'enc', attrs: {}, content: peer }] });
    await repository.decryptMessage({ ciphertext: peer, jid: '15550009999@s.whatsapp.net' });
    await repository.decryptMessage({ ciphertext: unseen, jid: '15550001111@s.whatsapp.net' });
    expect(journaled).toHaveLength(0);
  });

  test('a journal of its own is written before the key commit starts; one in the keys\' database does not hold it, and a failed write fails the decryption in both', async () => {
    const attrs = { id: 'MSG7', from: '15550001111@s.whatsapp.net', t: '1700000003', type: 'text' };
    const decryptOnce = async (committedWithKeys: boolean, outcome: 'written' | 'failed') => {
      const ciphertext = Buffer.from(`c7-${committedWithKeys}-${outcome}`);
      let steps: string[] = [];
      const persist = async () => {
        await new Promise((resolve) => setImmediate(resolve));
        steps.push('journal written');
        if (outcome === 'failed') throw new Error('disk I/O error');
      };
      const guard = guarded(new Map([[ciphertext, encoded({ conversation: 'hi' })]]), { committedWithKeys, persist });
      steps = guard.steps;
      guard.ws.emit('CB:message', { tag: 'message', attrs, content: [{ tag: 'enc', attrs: { type: 'msg' }, content: ciphertext }] });
      const decrypted = await guard.repository.decryptMessage({ ciphertext, jid: attrs.from }).then(() => 'decrypted', (error: Error) => error.message);
      return { decrypted, steps };
    };
    expect(await decryptOnce(false, 'written')).toEqual({ decrypted: 'decrypted', steps: ['journal written', 'key commit'] });
    expect(await decryptOnce(true, 'written')).toEqual({ decrypted: 'decrypted', steps: ['key commit', 'journal written'] });
    expect(await decryptOnce(false, 'failed')).toEqual({ decrypted: 'disk I/O error', steps: ['journal written'] });
    expect(await decryptOnce(true, 'failed')).toEqual({ decrypted: 'disk I/O error', steps: ['key commit', 'journal written'] });
  });
});
