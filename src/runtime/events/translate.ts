/**
 * events/translate: one session's Baileys event batches → documented runtime events on the bus. Carrier messages
 * become edit/delete/reaction/vote events, never plain messages. Event ids derive from WhatsApp's identity of the
 * fact, so a message seen twice (same chat, id and direction) is dropped by the outbox, across restarts.
 */
import type { Logger } from 'pino';
import type { Baileys } from '../whatsapp/baileys';
import type { EventBus } from './bus';
import type { ChatSettingsUpdate, MessageEventData, PollVoteEventData, UndecryptableEventData } from './schema';
import { carrierOf, keyAddresses, normalizeMessage, type SenderAddress, type WAMessage } from './normalize';
import { asRequest, requestOfMessage } from '../request-context';

type EventMap = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BaileysEventMap;
type WASocket = ReturnType<Baileys['makeWASocket']>;

const STATUS_NAMES: Record<number, string | undefined> = { 0: 'failed', 2: 'sent', 3: 'delivered', 4: 'read', 5: 'played' };
/** Contacts whose last update is remembered, to drop repeats (the oldest is forgotten first). */
const KNOWN_CONTACTS = 10_000;

export interface TranslatorDeps {
  b: Baileys;
  bus: EventBus;
  session: string;
  logger: Logger;
  /** Stores messages for getMessage, quotes and history, under their canonical chat. */
  saveMessage(message: WAMessage, chatId: string): Promise<void>;
  /** A stored message by chat and id (poll votes need their poll). */
  loadMessage(remoteJid: string, id: string): Promise<WAMessage | undefined>;
  /** Adds a conversation message to its chat (chat list, unread count, message pages). */
  recordChat?(data: MessageEventData): Promise<void>;
  /** Chat changes: group subjects, and archive/mute/pin/read made on any of the account's devices. */
  updateChat?(chatId: string, update: ChatSettingsUpdate): Promise<void>;
  /** Counts a message that could not be decrypted. */
  onUndecryptable?(): void;
  /** Applies the session's call policy to an offer; resolves true when the call was rejected automatically. */
  onCallOffer?(call: { id: string; from: string; chatId: string }): Promise<boolean>;
}

/** A chat's canonical id and, for a person, its LID. */
interface ChatAddress {
  id: string;
  lid?: string;
}

export class EventTranslator {
  /** Contact id → its last published update: Baileys repeats the sender's push name with every message. */
  private readonly contacts = new Map<string, string>();

  constructor(
    private readonly deps: TranslatorDeps,
    private readonly sock: WASocket,
  ) {}

  async handle(events: Partial<EventMap>): Promise<void> {
    const { b, bus, session } = this.deps;
    if (events['messages.upsert']) {
      const { messages, type } = events['messages.upsert'];
      for (const message of messages) await this.onUpsert(message, type);
    }
    for (const { key, update } of events['messages.update'] ?? []) {
      const status = update.status !== undefined && update.status !== null ? STATUS_NAMES[update.status] : undefined;
      if (status && key.id) {
        const chat = await this.chatOf(key);
        await bus.publish('message.status', session, { messageId: key.id, chatId: chat.id, ...(chat.lid && { chatLid: chat.lid }), fromMe: !!key.fromMe, status, ...(update.messageStubParameters?.length && { reason: update.messageStubParameters.join(' ') }) }, `${chat.id}|${key.id}|${status}`);
      }
    }
    for (const receipt of events['message-receipt.update'] ?? []) {
      const status = receipt.receipt.readTimestamp ? 'read' : receipt.receipt.playedTimestamp ? 'played' : 'delivered';
      const chat = await this.chatOf(receipt.key);
      await bus.publish('message.status', session, { messageId: receipt.key.id, chatId: chat.id, ...(chat.lid && { chatLid: chat.lid }), fromMe: !!receipt.key.fromMe, status, participant: receipt.receipt.userJid }, `${chat.id}|${receipt.key.id}|${status}|${receipt.receipt.userJid}`);
    }
    await this.updateChats(events);
    for (const group of events['groups.upsert'] ?? []) {
      await bus.publish('group.joined', session, { groupId: group.id, subject: group.subject, owner: group.owner, participants: group.participants.map((p) => ({ id: p.id, phoneNumber: p.phoneNumber, lid: p.lid, admin: p.admin ?? null })), author: (group as { author?: string }).author }, `${group.id}|joined|${group.creation}`);
    }
    for (const update of events['groups.update'] ?? []) {
      const { id, author, ...changes } = update as typeof update & { author?: string };
      await bus.publish('group.updated', session, { groupId: id, author, changes });
    }
    const participants = events['group-participants.update'];
    if (participants) {
      // rc14 copies the participants from the stub without their new role: promote makes an admin, demote and add a member
      const role = (admin: string | null | undefined) => (participants.action === 'promote' ? (admin ?? 'admin') : participants.action === 'demote' || participants.action === 'add' ? null : (admin ?? null));
      await bus.publish('group.participants', session, {
        groupId: participants.id,
        action: participants.action,
        author: participants.author,
        ...(participants.authorPn && { authorPhoneNumber: b.jidDecode(participants.authorPn)?.user }),
        participants: participants.participants.map((p) => ({ id: p.id, phoneNumber: p.phoneNumber, lid: p.lid ?? (b.isLidUser(p.id) ? p.id : undefined), admin: role(p.admin) })),
      });
    }
    const presence = events['presence.update'];
    if (presence) await bus.publish('presence.update', session, { chatId: presence.id, presences: presence.presences });
    for (const call of events.call ?? []) {
      const autoRejected = call.status === 'offer' && this.deps.onCallOffer ? await this.deps.onCallOffer(call) : false;
      await bus.publish('call.received', session, { callId: call.id, from: call.from, callerPhoneNumber: call.callerPn ? b.jidDecode(call.callerPn)?.user : undefined, chatId: call.chatId, isVideo: !!call.isVideo, isGroup: !!call.isGroup, status: call.status, offline: call.offline, autoRejected }, `${call.id}|${call.status}`);
    }
    for (const contact of events['contacts.update'] ?? []) {
      if (!this.changed(contact)) continue;
      await bus.publish('contact.updated', session, { contactId: contact.id, ...contact });
    }
  }

  /** Whether a contact update says something the last one for that contact did not. */
  private changed(contact: { id?: string | null }): boolean {
    if (!contact.id) return true;
    const text = JSON.stringify(contact);
    if (this.contacts.get(contact.id) === text) return false;
    this.contacts.delete(contact.id);
    this.contacts.set(contact.id, text);
    if (this.contacts.size > KNOWN_CONTACTS) this.contacts.delete(this.contacts.keys().next().value!);
    return true;
  }

  private async updateChats(events: Partial<EventMap>): Promise<void> {
    const { b } = this.deps;
    const update = this.deps.updateChat;
    if (!update) return;
    for (const group of events['groups.upsert'] ?? []) await update(group.id, { name: group.subject });
    for (const group of events['groups.update'] ?? []) if (group.id && group.subject) await update(group.id, { name: group.subject });
    for (const chat of events['chats.update'] ?? []) {
      if (!chat.id) continue;
      const change: ChatSettingsUpdate = {};
      if (typeof chat.archived === 'boolean') change.archived = chat.archived;
      if (chat.pinned !== undefined) change.pinned = !!chat.pinned;
      if (chat.muteEndTime !== undefined) change.mutedUntil = chat.muteEndTime ? Number(chat.muteEndTime) : 0;
      // positive counts are Baileys' per-message increments (the chat store counts those itself); 0 is "read elsewhere"
      if (chat.unreadCount === 0) change.unreadCount = 0;
      if (Object.keys(change).length) await update(b.jidNormalizedUser(chat.id), change);
    }
  }

  private async onUpsert(message: WAMessage, type: 'notify' | 'append'): Promise<void> {
    const { b } = this.deps;
    const { key } = message;
    if (!key.id || !key.remoteJid || b.isJidStatusBroadcast(key.remoteJid)) return;
    if (message.messageStubType === b.proto.WebMessageInfo.StubType.CIPHERTEXT && !message.message && !key.fromMe) return this.onUndecryptable(message, type);
    if (!message.message) return;
    const chat = await this.chatOf(key);
    // not awaited before the event: the message, its chat and its event are written in one commit
    const saved = this.deps.saveMessage(message, chat.id);
    // the event id derives from this key, and the outbox drops an id it already holds: no message is emitted twice
    const seenKey = `${chat.id}|${key.id}|${key.fromMe ? 1 : 0}`;
    const messageId = key.id;
    const published = (async () => {
      const sender = await this.senderOf(message, chat);
      // our own message's echo belongs to the API request that sent it
      await asRequest(key.fromMe ? requestOfMessage(messageId) : undefined, () => this.publishMessage(message, messageId, type, chat, sender, seenKey));
    })();
    await Promise.all([saved, published]);
  }

  private async publishMessage(message: WAMessage, messageId: string, type: string, chat: Awaited<ReturnType<EventTranslator['chatOf']>>, sender: Awaited<ReturnType<EventTranslator['senderOf']>>, seenKey: string): Promise<void> {
    const { b, bus, session } = this.deps;
    const key = message.key;
    const carrier = carrierOf(b, message.message!);
    if (carrier) {
      const base = { chatId: chat.id, ...(chat.lid && { chatLid: chat.lid }), fromMe: !!key.fromMe, ...(sender.pn && { from: sender.pn }), ...(sender.lid && { fromLid: sender.lid }) };
      if (carrier.kind === 'edit') {
        await bus.publish('message.edited', session, { ...base, messageId: carrier.targetId, text: b.normalizeMessageContent(carrier.message)?.conversation ?? b.normalizeMessageContent(carrier.message)?.extendedTextMessage?.text, editMessageId: messageId }, seenKey);
      } else if (carrier.kind === 'delete') {
        await bus.publish('message.deleted', session, { ...base, messageId: carrier.targetId, deleteMessageId: messageId }, seenKey);
      } else if (carrier.kind === 'reaction') {
        await bus.publish('message.reaction', session, { ...base, messageId: carrier.targetId, emoji: carrier.emoji, removed: carrier.emoji === '', reactionMessageId: messageId }, seenKey);
      } else if (carrier.kind === 'poll-vote') {
        await this.onPollVote(message, sender, seenKey, chat);
      }
      return;
    }
    const data = { ...normalizeMessage(b, message, sender, type === 'append' && !key.fromMe), chatId: chat.id, ...(chat.lid && { chatLid: chat.lid }) };
    await Promise.all([this.deps.recordChat?.(data), bus.publish(key.fromMe ? 'message.sent' : 'message.received', session, data, seenKey)]);
    const status = message.status !== undefined && message.status !== null ? STATUS_NAMES[message.status] : undefined;
    if (key.fromMe && status && status !== 'sent') {
      // an error ack that arrives while the send is still buffered is merged into the upsert, with its code
      const reason = message.messageStubParameters?.length ? { reason: message.messageStubParameters.join(' ') } : {};
      await bus.publish('message.status', session, { messageId: key.id, chatId: chat.id, ...(chat.lid && { chatLid: chat.lid }), fromMe: true, status, ...reason }, `${chat.id}|${key.id}|${status}`);
    }
  }

  /**
   * rc14 emits a message it could not decrypt as a CIPHERTEXT stub (after sending a retry receipt, unless the keys
   * were missing or the content was absent) and nothing else: reported so that it never vanishes silently.
   */
  private async onUndecryptable(message: WAMessage, type: 'notify' | 'append'): Promise<void> {
    const { b, bus, session } = this.deps;
    const key = message.key;
    const reason = message.messageStubParameters?.[0] ?? 'undecryptable';
    const chat = await this.chatOf(key);
    const sender = await this.senderOf(message, chat);
    const data: UndecryptableEventData = {
      messageId: key.id!,
      chatId: chat.id,
      ...(chat.lid && { chatLid: chat.lid }),
      ...(sender.pn && { from: sender.pn, fromPhoneNumber: b.jidDecode(sender.pn)?.user }),
      ...(sender.lid && { fromLid: sender.lid }),
      ...(key.participant && { participant: key.participant }),
      reason,
      retryRequested: reason !== b.MISSING_KEYS_ERROR_TEXT && reason !== b.NO_MESSAGE_FOUND_ERROR_TEXT,
      messageTimestamp: Number(message.messageTimestamp ?? 0),
      offline: type === 'append',
    };
    this.deps.onUndecryptable?.();
    this.deps.logger.warn({ messageId: data.messageId, chatId: data.chatId, reason }, 'message could not be decrypted: retry requested from the sender');
    await bus.publish('message.undecryptable', session, data, `${chat.id}|${key.id}|undecryptable|${reason}`);
  }

  /**
   * Decrypts a poll vote with the poll's secret (Baileys rc14 no longer does this itself) and publishes the chosen
   * option names.
   */
  private async onPollVote(message: WAMessage, sender: SenderAddress, seenKey: string, chat: ChatAddress): Promise<void> {
    const { b, bus, session, logger } = this.deps;
    const update = b.normalizeMessageContent(message.message)?.pollUpdateMessage;
    const pollKey = update?.pollCreationMessageKey;
    if (!update?.vote || !pollKey?.id || !pollKey.remoteJid) return;
    const poll = await this.deps.loadMessage(b.jidNormalizedUser(pollKey.remoteJid), pollKey.id);
    const content = b.normalizeMessageContent(poll?.message);
    const secret = poll?.message?.messageContextInfo?.messageSecret ?? content?.messageContextInfo?.messageSecret;
    const creation = content?.pollCreationMessageV3 ?? content?.pollCreationMessageV2 ?? content?.pollCreationMessage;
    if (!poll || !secret || !creation) {
      logger.warn({ pollId: pollKey.id }, 'poll vote for an unknown poll: not decrypted');
      return;
    }
    const vote = this.decryptVote(update.vote, pollKey.id, secret, poll.key, sender);
    if (!vote) {
      logger.warn({ pollId: pollKey.id }, 'failed to decrypt a poll vote');
      return;
    }
    const byHash = new Map((creation.options ?? []).map((o) => [b.sha256(Buffer.from(o.optionName ?? '')).toString('hex'), o.optionName ?? '']));
    const selected = (vote.selectedOptions ?? []).map((hash) => byHash.get(Buffer.from(hash).toString('hex'))).filter((name): name is string => name !== undefined);
    const data: PollVoteEventData = {
      pollMessageId: pollKey.id,
      chatId: chat.id,
      poll: creation.name ?? '',
      ...(sender.pn && { voter: sender.pn, voterPhoneNumber: b.jidDecode(sender.pn)?.user }),
      ...(sender.lid && { voterLid: sender.lid }),
      selectedOptions: selected,
      voteMessageId: message.key.id!,
      timestamp: Number(update.senderTimestampMs ?? 0),
    };
    await bus.publish('poll.vote', session, data, seenKey);
  }

  /**
   * The vote is encrypted with a key bound to the creator's and the voter's JIDs, each of which may be a phone
   * number or a LID depending on how the chat is addressed: try each pair (AES-GCM authenticates the right one).
   */
  private decryptVote(vote: { encPayload?: Uint8Array | null; encIv?: Uint8Array | null }, pollId: string, secret: Uint8Array, pollKey: WAMessage['key'], voter: SenderAddress) {
    const { b } = this.deps;
    const me = this.sock.authState.creds.me!;
    const creators = pollKey.fromMe ? [me.id, me.lid] : [pollKey.participant ?? pollKey.remoteJid, pollKey.participantAlt ?? pollKey.remoteJidAlt];
    const voters = [voter.pn, voter.lid];
    for (const creator of creators.filter((j): j is string => !!j).map((j) => b.jidNormalizedUser(j))) {
      for (const voterJid of voters.filter((j): j is string => !!j)) {
        try {
          return b.decryptPollVote(vote, { pollEncKey: secret, pollCreatorJid: creator, pollMsgId: pollId, voterJid });
        } catch {
          // not this pair of addresses
        }
      }
    }
    return undefined;
  }

  /**
   * One chat per person: a direct chat is named by the phone-number JID once the LID-phone mapping is known (from
   * the key's alternate address or the session's mapping), by the LID until then; `lid` is the other name.
   */
  private async chatOf(key: WAMessage['key']): Promise<ChatAddress> {
    const { b } = this.deps;
    const remote = b.jidNormalizedUser(key.remoteJid ?? '');
    if (!b.isPnUser(remote) && !b.isLidUser(remote)) return { id: remote };
    const alt = key.remoteJidAlt ? b.jidNormalizedUser(key.remoteJidAlt) : undefined;
    return this.resolvePerson([remote, alt]);
  }

  private async resolvePerson(jids: (string | undefined)[]): Promise<ChatAddress> {
    const { b } = this.deps;
    let pn = jids.find((j): j is string => !!j && !!b.isPnUser(j));
    let lid = jids.find((j): j is string => !!j && !!b.isLidUser(j));
    const mapping = this.sock.signalRepository.lidMapping;
    try {
      if (!pn && lid) pn = (await mapping.getPNForLID(lid)) ?? undefined;
      if (!lid && pn) lid = (await mapping.getLIDForPN(pn)) ?? undefined;
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'LID mapping lookup failed');
    }
    pn = pn && b.jidNormalizedUser(pn);
    lid = lid && b.jidNormalizedUser(lid);
    return { id: (pn ?? lid)!, ...(lid && { lid }) };
  }

  /** Phone-number and LID JIDs of the sender, from the key's alternate addresses or the session's LID mapping. */
  private async senderOf(message: WAMessage, chat: ChatAddress): Promise<SenderAddress> {
    const { b } = this.deps;
    const { key } = message;
    if (key.fromMe) {
      const me = this.sock.authState.creds.me;
      return { pn: me?.id ? b.jidNormalizedUser(me.id) : undefined, lid: me?.lid ? b.jidNormalizedUser(me.lid) : undefined };
    }
    // in a direct chat the sender is the chat's person, already resolved: no second mapping lookup
    if (!b.isJidGroup(key.remoteJid ?? '') && (b.isPnUser(chat.id) || b.isLidUser(chat.id))) return { pn: b.isPnUser(chat.id) ? chat.id : undefined, lid: chat.lid };
    const { pn, lid } = keyAddresses(b, key);
    if (!pn && !lid) return {};
    const person = await this.resolvePerson([pn, lid]);
    return { pn: b.isPnUser(person.id) ? person.id : undefined, lid: person.lid };
  }
}
