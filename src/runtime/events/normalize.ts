/**
 * events/normalize: turns Baileys' WAMessage into the documented `data` of message events, and tells carrier
 * messages (edits, deletes, reactions, poll votes, key distribution) apart from messages a user would see.
 */
import type { Baileys } from '../whatsapp/baileys';
import type { MessageEventData, MessageKind } from './schema';

export type WAMessage = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).WAMessage;
type ProtoMessage = NonNullable<WAMessage['message']>;

export type Carrier =
  | { kind: 'edit'; targetId: string; message: ProtoMessage }
  | { kind: 'delete'; targetId: string }
  | { kind: 'reaction'; targetId: string; emoji: string }
  | { kind: 'poll-vote' }
  | { kind: 'ignore' };

/** Non-null when the message only carries something about another message, or nothing a user sees. */
export function carrierOf(b: Baileys, message: ProtoMessage | null | undefined): Carrier | null {
  const content = b.normalizeMessageContent(message);
  if (!content) return { kind: 'ignore' };
  const protocol = content.protocolMessage;
  if (protocol) {
    if (protocol.type === b.proto.Message.ProtocolMessage.Type.MESSAGE_EDIT && protocol.key?.id && protocol.editedMessage) {
      return { kind: 'edit', targetId: protocol.key.id, message: protocol.editedMessage };
    }
    if (protocol.type === b.proto.Message.ProtocolMessage.Type.REVOKE && protocol.key?.id) return { kind: 'delete', targetId: protocol.key.id };
    return { kind: 'ignore' };
  }
  if (content.reactionMessage?.key?.id) return { kind: 'reaction', targetId: content.reactionMessage.key.id, emoji: content.reactionMessage.text ?? '' };
  if (content.pollUpdateMessage) return { kind: 'poll-vote' };
  const type = b.getContentType(content);
  if (!type || type === 'senderKeyDistributionMessage' || type === 'messageContextInfo') return { kind: 'ignore' };
  return null;
}

export function textOf(content: ProtoMessage | null | undefined): string | undefined {
  if (!content) return undefined;
  return (
    content.conversation ??
    content.extendedTextMessage?.text ??
    content.imageMessage?.caption ??
    content.videoMessage?.caption ??
    content.documentMessage?.caption ??
    content.documentWithCaptionMessage?.message?.documentMessage?.caption ??
    undefined
  ) || undefined;
}

export function messageKind(content: ProtoMessage): MessageKind {
  if (content.conversation !== undefined && content.conversation !== null) return 'text';
  if (content.extendedTextMessage) return 'text';
  if (content.imageMessage) return 'image';
  if (content.videoMessage || content.ptvMessage) return 'video';
  if (content.audioMessage) return content.audioMessage.ptt ? 'voice' : 'audio';
  if (content.documentMessage || content.documentWithCaptionMessage) return 'document';
  if (content.stickerMessage) return 'sticker';
  if (content.locationMessage || content.liveLocationMessage) return 'location';
  if (content.contactMessage || content.contactsArrayMessage) return 'contact';
  if (content.pollCreationMessage || content.pollCreationMessageV2 || content.pollCreationMessageV3) return 'poll';
  return 'unknown';
}

/** The addresses of a message's sender, resolved to phone number and LID where Baileys knows both. */
export interface SenderAddress {
  pn?: string;
  lid?: string;
}

/** The sender's phone-number and LID JIDs as far as the message key names them (participant for groups, with alternates). */
export function keyAddresses(b: Baileys, key: WAMessage['key']): SenderAddress {
  const group = b.isJidGroup(key.remoteJid ?? '');
  const addresses = [group ? key.participant : key.remoteJid, group ? key.participantAlt : key.remoteJidAlt].filter((j): j is string => !!j).map((j) => b.jidNormalizedUser(j));
  return { pn: addresses.find((j) => b.isPnUser(j)), lid: addresses.find((j) => b.isLidUser(j)) };
}

export function normalizeMessage(b: Baileys, msg: WAMessage, sender: SenderAddress, offline: boolean): MessageEventData {
  const content = b.normalizeMessageContent(msg.message) ?? {};
  const chatId = msg.key.remoteJid ?? '';
  const kind = messageKind(content);
  const context = contextInfoOf(content);
  const media = content.imageMessage ?? content.videoMessage ?? content.ptvMessage ?? content.audioMessage ?? content.documentMessage ?? content.documentWithCaptionMessage?.message?.documentMessage ?? content.stickerMessage;
  const poll = content.pollCreationMessageV3 ?? content.pollCreationMessageV2 ?? content.pollCreationMessage;
  const location = content.locationMessage ?? content.liveLocationMessage;
  const data: MessageEventData = {
    messageId: msg.key.id ?? '',
    chatId,
    chatType: b.isJidGroup(chatId) ? 'group' : b.isJidNewsletter(chatId) ? 'newsletter' : b.isJidBroadcast(chatId) ? 'broadcast' : 'direct',
    fromMe: !!msg.key.fromMe,
    ...(sender.pn && { from: sender.pn, fromPhoneNumber: b.jidDecode(sender.pn)?.user }),
    ...(sender.lid && { fromLid: sender.lid }),
    ...(msg.pushName && { pushName: msg.pushName }),
    kind,
    ...(textOf(content) !== undefined && { text: textOf(content) }),
    messageTimestamp: Number(msg.messageTimestamp ?? 0),
    offline,
  };
  if (media) {
    data.media = {
      ...(media.mimetype && { mimetype: media.mimetype }),
      ...('fileName' in media && media.fileName ? { fileName: media.fileName } : {}),
      ...(media.fileLength !== undefined && media.fileLength !== null ? { fileLength: Number(media.fileLength) } : {}),
      ...('seconds' in media && media.seconds ? { seconds: media.seconds } : {}),
      ...('caption' in media && media.caption ? { caption: media.caption } : {}),
    };
  }
  if (location) data.location = { latitude: location.degreesLatitude ?? 0, longitude: location.degreesLongitude ?? 0, ...('name' in location && location.name ? { name: location.name } : {}), ...('address' in location && location.address ? { address: location.address } : {}) };
  if (content.contactMessage) data.contacts = [{ displayName: content.contactMessage.displayName ?? undefined, vcard: content.contactMessage.vcard ?? undefined }];
  if (content.contactsArrayMessage) data.contacts = (content.contactsArrayMessage.contacts ?? []).map((c) => ({ displayName: c.displayName ?? undefined, vcard: c.vcard ?? undefined }));
  if (poll) data.poll = { name: poll.name ?? '', options: (poll.options ?? []).map((o) => o.optionName ?? ''), selectableCount: poll.selectableOptionsCount ?? 0 };
  if (context?.stanzaId) data.quoted = { messageId: context.stanzaId, ...(context.participant && { participant: context.participant }), ...(textOf(context.quotedMessage) && { text: textOf(context.quotedMessage) }) };
  if (context?.mentionedJid?.length) data.mentions = context.mentionedJid;
  return data;
}

function contextInfoOf(content: ProtoMessage) {
  for (const value of Object.values(content)) {
    if (value && typeof value === 'object' && 'contextInfo' in value && value.contextInfo) {
      return value.contextInfo as NonNullable<NonNullable<ProtoMessage['extendedTextMessage']>['contextInfo']>;
    }
  }
  return undefined;
}
