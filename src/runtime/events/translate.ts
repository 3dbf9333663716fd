/**
 * events/translate: one session's Baileys event batches → documented runtime events on the bus. Carrier messages
 * become edit/delete/reaction events, never plain messages; a message already seen (same chat, id and direction)
 * is not emitted twice, across reconnects and restarts.
 */
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { Baileys } from '../whatsapp/baileys';
import type { EventBus } from './bus';
import { carrierOf, normalizeMessage, type SenderAddress, type WAMessage } from './normalize';

type EventMap = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BaileysEventMap;
type WASocket = ReturnType<Baileys['makeWASocket']>;

const STATUS_NAMES: Record<number, string | undefined> = { 0: 'failed', 2: 'sent', 3: 'delivered', 4: 'read', 5: 'played' };
const SEEN_TTL_MS = 7 * 24 * 3600 * 1000;

export interface TranslatorDeps {
  b: Baileys;
  bus: EventBus;
  session: string;
  logger: Logger;
  /** Remembers which messages were emitted already (key → 1, with a TTL). */
  seen: Keyv<number>;
  /** Stores messages for getMessage, quotes and history. */
  saveMessage(message: WAMessage): Promise<void>;
}

export class EventTranslator {
  constructor(
    private readonly deps: TranslatorDeps,
    private readonly sock: WASocket,
  ) {}

  async handle(events: Partial<EventMap>): Promise<void> {
    const { bus, session } = this.deps;
    if (events['messages.upsert']) {
      const { messages, type } = events['messages.upsert'];
      for (const message of messages) await this.onUpsert(message, type);
    }
    for (const { key, update } of events['messages.update'] ?? []) {
      const status = update.status !== undefined && update.status !== null ? STATUS_NAMES[update.status] : undefined;
      if (status && key.id) {
        bus.publish('message.status', session, { messageId: key.id, chatId: key.remoteJid, fromMe: !!key.fromMe, status, ...(update.messageStubParameters?.length && { reason: update.messageStubParameters.join(' ') }) }, `${key.remoteJid}|${key.id}|${status}`);
      }
      if (update.pollUpdates?.length && key.id) {
        for (const vote of update.pollUpdates) {
          const voter = vote.pollUpdateMessageKey?.participant ?? vote.pollUpdateMessageKey?.remoteJid ?? undefined;
          bus.publish('poll.vote', session, { pollMessageId: key.id, chatId: key.remoteJid, voter, selectedOptionHashes: (vote.vote?.selectedOptions ?? []).map((o) => Buffer.from(o).toString('hex')), timestamp: Number(vote.senderTimestampMs ?? 0) }, `${key.remoteJid}|${key.id}|${vote.pollUpdateMessageKey?.id}`);
        }
      }
    }
    for (const receipt of events['message-receipt.update'] ?? []) {
      const status = receipt.receipt.readTimestamp ? 'read' : receipt.receipt.playedTimestamp ? 'played' : 'delivered';
      bus.publish('message.status', session, { messageId: receipt.key.id, chatId: receipt.key.remoteJid, fromMe: !!receipt.key.fromMe, status, participant: receipt.receipt.userJid }, `${receipt.key.remoteJid}|${receipt.key.id}|${status}|${receipt.receipt.userJid}`);
    }
    for (const group of events['groups.upsert'] ?? []) {
      bus.publish('group.joined', session, { groupId: group.id, subject: group.subject, owner: group.owner, participants: group.participants.map((p) => ({ id: p.id, phoneNumber: p.phoneNumber, lid: p.lid, admin: p.admin ?? null })), author: (group as { author?: string }).author }, `${group.id}|joined|${group.creation}`);
    }
    for (const update of events['groups.update'] ?? []) {
      const { id, author, ...changes } = update as typeof update & { author?: string };
      bus.publish('group.updated', session, { groupId: id, author, changes });
    }
    const participants = events['group-participants.update'];
    if (participants) {
      bus.publish('group.participants', session, { groupId: participants.id, action: participants.action, author: participants.author, participants: participants.participants.map((p) => ({ id: p.id, phoneNumber: p.phoneNumber, lid: p.lid, admin: p.admin ?? null })) });
    }
    const presence = events['presence.update'];
    if (presence) bus.publish('presence.update', session, { chatId: presence.id, presences: presence.presences });
    for (const call of events.call ?? []) {
      bus.publish('call.received', session, { callId: call.id, from: call.from, callerPhoneNumber: call.callerPn, chatId: call.chatId, isVideo: !!call.isVideo, isGroup: !!call.isGroup, status: call.status, offline: call.offline }, `${call.id}|${call.status}`);
    }
    for (const contact of events['contacts.update'] ?? []) {
      bus.publish('contact.updated', session, { contactId: contact.id, ...contact });
    }
  }

  private async onUpsert(message: WAMessage, type: 'notify' | 'append'): Promise<void> {
    const { b, bus, session, seen } = this.deps;
    const { key } = message;
    if (!key.id || !key.remoteJid || !message.message || b.isJidStatusBroadcast(key.remoteJid)) return;
    await this.deps.saveMessage(message);
    const seenKey = `${key.remoteJid}|${key.id}|${key.fromMe ? 1 : 0}`;
    if (await seen.get(seenKey)) return;
    await seen.set(seenKey, 1, SEEN_TTL_MS);
    const sender = await this.senderOf(message);
    const carrier = carrierOf(b, message.message);
    if (carrier) {
      const base = { chatId: key.remoteJid, fromMe: !!key.fromMe, ...(sender.pn && { from: sender.pn }), ...(sender.lid && { fromLid: sender.lid }) };
      if (carrier.kind === 'edit') {
        bus.publish('message.edited', session, { ...base, messageId: carrier.targetId, text: b.normalizeMessageContent(carrier.message)?.conversation ?? b.normalizeMessageContent(carrier.message)?.extendedTextMessage?.text, editMessageId: key.id }, seenKey);
      } else if (carrier.kind === 'delete') {
        bus.publish('message.deleted', session, { ...base, messageId: carrier.targetId, deleteMessageId: key.id }, seenKey);
      } else if (carrier.kind === 'reaction') {
        bus.publish('message.reaction', session, { ...base, messageId: carrier.targetId, emoji: carrier.emoji, removed: carrier.emoji === '', reactionMessageId: key.id }, seenKey);
      }
      return;
    }
    const data = normalizeMessage(b, message, sender, type === 'append' && !key.fromMe);
    bus.publish(key.fromMe ? 'message.sent' : 'message.received', session, data, seenKey);
    const status = message.status !== undefined && message.status !== null ? STATUS_NAMES[message.status] : undefined;
    if (key.fromMe && status && status !== 'sent') {
      bus.publish('message.status', session, { messageId: key.id, chatId: key.remoteJid, fromMe: true, status }, `${key.remoteJid}|${key.id}|${status}`);
    }
  }

  /** Phone-number and LID JIDs of the sender, from the key's alternate addresses or the session's LID mapping. */
  private async senderOf(message: WAMessage): Promise<SenderAddress> {
    const { b } = this.deps;
    const { key } = message;
    const group = b.isJidGroup(key.remoteJid ?? '');
    if (key.fromMe) {
      const me = this.sock.authState.creds.me;
      return { pn: me?.id ? b.jidNormalizedUser(me.id) : undefined, lid: me?.lid ? b.jidNormalizedUser(me.lid) : undefined };
    }
    const primary = group ? key.participant : key.remoteJid;
    const alternate = group ? key.participantAlt : key.remoteJidAlt;
    const addresses = [primary, alternate].filter((j): j is string => !!j).map((j) => b.jidNormalizedUser(j));
    let pn = addresses.find((j) => b.isPnUser(j));
    let lid = addresses.find((j) => b.isLidUser(j));
    const mapping = this.sock.signalRepository.lidMapping;
    try {
      if (!pn && lid) pn = (await mapping.getPNForLID(lid)) ?? undefined;
      if (!lid && pn) lid = (await mapping.getLIDForPN(pn)) ?? undefined;
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'LID mapping lookup failed');
    }
    return { pn: pn && b.jidNormalizedUser(pn), lid: lid && b.jidNormalizedUser(lid) };
  }
}
