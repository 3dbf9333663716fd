/**
 * sessions/inbound: a session's side of "persisted before acknowledged": every decrypted message goes to the inbound
 * journal (whatsapp/inbound-guard) before WhatsApp is told it arrived; once its event is in the outbox the entry
 * leaves; at the next socket, what is left is emitted first, as Baileys would have emitted it.
 */
import type { Logger } from 'pino';
import type { ArrivalOrder } from './arrival-order';
import type { EventTranslator } from '../events/translate';
import type { Journal } from '../store/journal';
import type { Baileys } from '../whatsapp/baileys';
import { guardInbound, rebuildMessage } from '../whatsapp/inbound-guard';

type WASocket = ReturnType<Baileys['makeWASocket']>;
type BinaryNode = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BinaryNode;
type BaileysEventMap = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BaileysEventMap;

/** Journals the socket's decrypted inbound messages (a linked session only: an unlinked one receives none). */
export function journalInbound(b: Baileys, sock: WASocket, journal: Journal, session: string): void {
  const me = sock.authState.creds.me;
  if (!me?.id) return;
  const account = { meId: me.id, ...(me.lid && { meLid: me.lid }) };
  guardInbound(b, sock, (inbound) => journal.add({ session, id: inbound.attrs.id, ...inbound, ...account }), journal.committedWithKeys);
}

/** The upserted messages of a handled batch are in the outbox: their entries leave the journal. */
export function settleJournal(journal: Journal, session: string, events: Partial<BaileysEventMap>): void {
  const upserted = events['messages.upsert']?.messages.map((m) => m.key.id).filter((id): id is string => !!id);
  if (upserted?.length) journal.remove(session, upserted);
}

/** Emits what was journaled but never reached the outbox (the process ended between the receipt and the event). */
export async function replayJournal(b: Baileys, journal: Journal, session: string, translator: EventTranslator, logger: Logger): Promise<void> {
  const entries = await journal.pending(session);
  if (!entries.length) return;
  logger.info({ count: entries.length }, 'replaying journaled inbound messages');
  for (const entry of entries) {
    try {
      const message = rebuildMessage(b, entry, { id: entry.meId, lid: entry.meLid });
      await translator.handle({ 'messages.upsert': { messages: [message], type: entry.attrs.offline ? 'append' : 'notify' } });
      journal.remove(session, [entry.id]);
    } catch (error) {
      logger.error({ err: error, messageId: entry.id }, 'failed to replay a journaled message; kept for the next start');
    }
  }
}

/** Numbers the socket's message stanzas as they arrive (the phone's own peer traffic belongs to no chat). */
export function watchArrivals(sock: WASocket, order: ArrivalOrder): void {
  sock.ws.on('CB:message', (node: BinaryNode) => {
    if (node.attrs.id && node.attrs.from && node.attrs.category !== 'peer') order.arrived(node.attrs.id, node.attrs.from);
  });
}

/** Runs `work` once the messages that arrived before `id` in its chat are through; then lets the later ones go. */
async function inTurn(order: ArrivalOrder, id: string | null | undefined, work: () => Promise<void>): Promise<void> {
  const earlier = id ? order.turn(id) : undefined;
  if (earlier) await earlier;
  try {
    await work();
  } finally {
    if (id) order.done(id);
  }
}

/** Translates a batch with its upserted messages one at a time, each after the earlier ones of its chat. */
export async function translateInOrder(translator: EventTranslator, order: ArrivalOrder, events: Partial<BaileysEventMap>): Promise<void> {
  const upsert = events['messages.upsert'];
  if (!upsert || upsert.messages.length <= 1) return inTurn(order, upsert?.messages[0]?.key.id, () => translator.handle(events));
  for (const message of upsert.messages) await inTurn(order, message.key.id, () => translator.handle({ 'messages.upsert': { ...upsert, messages: [message] } }));
  await translator.handle({ ...events, 'messages.upsert': undefined });
}
