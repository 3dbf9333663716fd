/**
 * whatsapp/inbound-guard: "persisted before acknowledged" over rc14. Baileys sends the delivery receipt for a message
 * right after decrypting it and emits `messages.upsert` later (held back during an offline backlog); WhatsApp never
 * redelivers what was acknowledged. The guard wraps the signal repository's decryption so that the plaintext is
 * written *inside* the decryption's key transaction: committed with the advanced Signal session (same database, same
 * or an earlier commit) or before it, and so before any receipt. A crash after the commit leaves the message in the
 * journal; a crash before it leaves the session where it was, so the message WhatsApp sends again still decrypts.
 * `rebuildMessage` turns an entry back into the message Baileys would have emitted.
 */
import type { Baileys } from './baileys';

type WASocket = ReturnType<Baileys['makeWASocket']>;
type BinaryNode = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BinaryNode;
type WAMessage = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).WAMessage;
type ProtoMessage = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).proto.IMessage;

export interface DecryptedInbound {
  attrs: Record<string, string>;
  message: Uint8Array;
}

/** Ciphertexts seen but not decrypted yet; bounded, since one that fails to decrypt is never looked up. */
const MAX_WAITING = 10_000;

/**
 * Calls `persist` with every decrypted inbound message (not the phone's own peer traffic) inside the decryption's key
 * transaction. `committedWithKeys`: what `persist` writes is committed with the Signal keys written after it (or
 * earlier), so the transaction does not wait for it; otherwise the key commit waits until it is written. A group
 * message is decrypted in two parts (key distribution, then content): `persist` is called after each with what is
 * known so far. When `persist` fails, the decryption fails: Baileys asks for the message again instead of
 * acknowledging it.
 */
export function guardInbound(b: Baileys, sock: WASocket, persist: (inbound: DecryptedInbound) => Promise<void>, committedWithKeys: boolean): void {
  const stanzas = new Map<Uint8Array, Record<string, string>>();
  /** The journaled `proto.Message` of each message id so far, encoded. */
  const parts = new Map<string, Uint8Array>();
  sock.ws.on('CB:message', (node: BinaryNode) => {
    if (node.attrs.category === 'peer' || !node.attrs.id || !Array.isArray(node.content)) return;
    for (const child of node.content) {
      if (child.tag === 'enc' && child.content instanceof Uint8Array) stanzas.set(child.content, { ...node.attrs });
    }
    while (stanzas.size > MAX_WAITING) stanzas.delete(stanzas.keys().next().value!);
  });
  const record = (ciphertext: Uint8Array, plaintext: Uint8Array): Promise<void> | undefined => {
    const attrs = stanzas.get(ciphertext);
    if (!attrs) return;
    stanzas.delete(ciphertext);
    // the first part is journaled as it came (rebuildMessage unwraps it); only a second one is decoded, to merge
    const unpadded = b.unpadRandomMax16(plaintext);
    const earlier = parts.get(attrs.id);
    const message = earlier ? b.proto.Message.encode({ ...contentOf(b, earlier), ...contentOf(b, unpadded) }).finish() : unpadded;
    parts.set(attrs.id, message);
    while (parts.size > MAX_WAITING) parts.delete(parts.keys().next().value!);
    return persist({ attrs, message });
  };
  const repository = sock.signalRepository;
  const keys = sock.authState.keys as typeof sock.authState.keys & { transaction<T>(work: () => Promise<T>, key: string): Promise<T> };
  // the outer transaction holds the key writes of the decryption until the plaintext is journaled
  const journaled = <A>(decrypt: (args: A) => Promise<Uint8Array>, ciphertextOf: (args: A) => Uint8Array, lockOf: (args: A) => string) =>
    async (args: A) => {
      let written: Promise<void> | undefined;
      const plaintext = await keys.transaction(async () => {
        const plaintext = await decrypt(args);
        written = record(ciphertextOf(args), plaintext);
        // a journal of its own is written before the key commit starts; one in the keys' database goes with it
        if (!committedWithKeys) await written;
        else written?.catch(() => undefined);
        return plaintext;
      }, lockOf(args));
      // settled by now (its commit was the keys' or an earlier one); a failed one fails the decryption: no receipt
      await written;
      return plaintext;
    };
  repository.decryptMessage = journaled(repository.decryptMessage.bind(repository), (args) => args.ciphertext, (args) => args.jid);
  repository.decryptGroupMessage = journaled(repository.decryptGroupMessage.bind(repository), (args) => args.msg, (args) => args.group);
}

/** A plaintext's content: what the phone sent from the account's own other device is inside `deviceSentMessage`. */
function contentOf(b: Baileys, encoded: Uint8Array): ProtoMessage {
  const decoded = b.proto.Message.decode(encoded);
  // a protobuf object's own properties are the fields it carries (what merging two parts relies on)
  return decoded.deviceSentMessage?.message ?? decoded;
}

/** The WAMessage Baileys would have emitted for a journaled message (key, sender, time, cleaned content). */
export function rebuildMessage(b: Baileys, inbound: DecryptedInbound, me: { id: string; lid?: string }): WAMessage {
  const { fullMessage } = b.decodeMessageNode({ tag: 'message', attrs: inbound.attrs }, me.id, me.lid ?? '');
  const message = { ...fullMessage, message: contentOf(b, inbound.message) } as WAMessage;
  b.cleanMessage(message, me.id, me.lid ?? '');
  return message;
}
