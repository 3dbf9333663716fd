/**
 * whatsapp/inbound-guard: "persisted before acknowledged" over rc14. Baileys sends the delivery receipt for a message
 * right after decrypting it and emits `messages.upsert` later (buffered during an offline backlog); WhatsApp never
 * redelivers what was acknowledged. The one point between decryption and the receipt that rc14 exposes is
 * `sock.messageRetryManager.addRecentMessage` (called synchronously, before the receipt is sent); the stanza's
 * attributes are seen earlier by a `CB:message` listener on the socket's WebSocket. The guard hands both to a
 * synchronous writer there, and rebuilds messages from what it wrote (`rebuildMessage`), as Baileys would have.
 */
import type { Baileys } from './baileys';

type WASocket = ReturnType<Baileys['makeWASocket']>;
type BinaryNode = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BinaryNode;
type WAMessage = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).WAMessage;

export interface DecryptedInbound {
  attrs: Record<string, string>;
  message: Uint8Array;
}

/** Stanzas seen but not yet decrypted; bounded, since a stanza that fails to decrypt never reaches the hook. */
const MAX_WAITING = 10_000;

/**
 * Calls `persist` with every decrypted inbound message (not the phone's own peer traffic) before Baileys sends its
 * receipt. When `persist` throws, Baileys does not send the receipt: it answers with an error ack instead.
 */
export function guardInbound(b: Baileys, sock: WASocket, persist: (inbound: DecryptedInbound) => void): void {
  const manager = sock.messageRetryManager;
  if (!manager) throw new Error('Baileys runs without its recent-message cache (enableRecentMessageCache): inbound messages cannot be journaled');
  const waiting = new Map<string, Record<string, string>>();
  sock.ws.on('CB:message', (node: BinaryNode) => {
    if (node.attrs.category === 'peer' || !node.attrs.id) return;
    waiting.set(node.attrs.id, { ...node.attrs });
    if (waiting.size > MAX_WAITING) waiting.delete(waiting.keys().next().value!);
  });
  const addRecentMessage = manager.addRecentMessage.bind(manager);
  manager.addRecentMessage = (to, id, message) => {
    const attrs = waiting.get(id);
    if (attrs) {
      waiting.delete(id);
      persist({ attrs, message: b.proto.Message.encode(message).finish() });
    }
    addRecentMessage(to, id, message);
  };
}

/** The WAMessage Baileys would have emitted for a journaled message (key, sender, time, cleaned content). */
export function rebuildMessage(b: Baileys, inbound: DecryptedInbound, me: { id: string; lid?: string }): WAMessage {
  const { fullMessage } = b.decodeMessageNode({ tag: 'message', attrs: inbound.attrs }, me.id, me.lid ?? '');
  const message = { ...fullMessage, message: b.proto.Message.decode(inbound.message) } as WAMessage;
  b.cleanMessage(message, me.id, me.lid ?? '');
  return message;
}
