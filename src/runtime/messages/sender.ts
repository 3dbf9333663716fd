/**
 * messages/sender: the one way a message leaves. Resolves the recipient and the quoted message, builds the Baileys
 * content of its kind (including the messages that act on another one: reaction, edit, delete, forward) and sends it
 * under a given message id. The REST routes and automatic replies (send now, through outbound's `sendNow`) and the
 * outbound queue (send later, paced) all go through it, so a queued message is exactly what the same request would
 * have sent, and every send counts towards the session's caps.
 */
import type { Logger } from 'pino';
import { ApiError } from '../errors';
import type { SessionManager } from '../sessions/manager';
import type { Session } from '../sessions/session';
import type { Baileys, WASocket } from '../whatsapp/baileys';
import type { WAMessage } from '../events/normalize';
import { mediaContent, vcardOf, type ContactCard, type MediaKind, type MediaRequest } from './content';
import { linkPreview } from './link-preview';
import type { MediaLimits } from './media-input';
import type { RecipientResolver } from './recipients';
import { rememberMessage } from '../request-context';
import type { OptOuts } from '../audiences/opt-outs';

type AnyMessageContent = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).AnyMessageContent;

export type SendKind = 'text' | MediaKind | 'location' | 'contact' | 'poll';

/** A message acting on `messageId` of the chat `to` (for a forward: of `chatId`, sent to `to`). */
export interface ReactionBody { to: string; messageId: string; emoji: string }
export interface EditBody { to: string; messageId: string; text: string }
export interface DeleteBody { to: string; messageId: string }
/** A new message to `to`; `ignoreOptOut` sends it even though they opted out (they asked for this very message). */
interface Addressed { to: string; ignoreOptOut?: boolean }
export interface ForwardBody extends Addressed { chatId: string; messageId: string }

export interface TextBody extends Addressed { text: string; mentions?: string[]; linkPreview?: boolean; quotedMessageId?: string }
export interface LocationBody extends Addressed { latitude: number; longitude: number; name?: string; address?: string; quotedMessageId?: string }
export interface ContactBody extends Addressed { contacts: ContactCard[]; quotedMessageId?: string }
export interface PollBody extends Addressed { name: string; options: string[]; multipleAnswers?: boolean; quotedMessageId?: string }
export type MediaBody = Omit<MediaRequest, 'fingerprint' | 'lane' | 'sendAt'>;

export type SendRequest =
  | { kind: 'text'; body: TextBody }
  | { kind: MediaKind; body: MediaBody }
  | { kind: 'location'; body: LocationBody }
  | { kind: 'contact'; body: ContactBody }
  | { kind: 'poll'; body: PollBody };

export type ActionRequest =
  | { kind: 'reaction'; body: ReactionBody }
  | { kind: 'edit'; body: EditBody }
  | { kind: 'delete'; body: DeleteBody }
  | { kind: 'forward'; body: ForwardBody };

export interface SendResult {
  id: string;
  to: string;
  status: 'sent';
  timestamp: number;
}

export interface SendHooks {
  /** Runs after the content is built and before it is sent (registering a Send and Wait, showing typing). */
  beforeSend?(ctx: { sock: WASocket; to: string; messageId: string }): Promise<void>;
}

export class MessageSender {
  constructor(
    private readonly deps: { b: Baileys; sessions: SessionManager; recipients: RecipientResolver; mediaLimits: MediaLimits; ffmpegPath: string; logger: Logger; optOuts?: Pick<OptOuts, 'refusesDirect'> },
  ) {}

  async send(sessionId: string, request: SendRequest | ActionRequest, messageId: string, hooks: SendHooks = {}): Promise<SendResult> {
    const { session, sock } = this.deps.sessions.connected(sessionId);
    rememberMessage(messageId);
    // a reaction, edit or delete goes to the chat of its message, which the request names `chatId`
    const acting = request.kind === 'reaction' || request.kind === 'edit' || request.kind === 'delete';
    const to = await this.deps.recipients.resolve(sock, request.body.to, acting ? 'chatId' : 'to');
    if (!acting && !('ignoreOptOut' in request.body && request.body.ignoreOptOut)) assertNotOptedOut(this.deps.optOuts, sessionId, to);
    const quoted = await quotedMessage(session, to, 'quotedMessageId' in request.body ? request.body.quotedMessageId : undefined);
    const content = await this.content(request, sock, session, to);
    await hooks.beforeSend?.({ sock, to, messageId });
    return result(to, await sock.sendMessage(to, content, { messageId, ...(quoted && { quoted }) }));
  }

  /** The stored message a request acts on (404 when the runtime never saw it). */
  async target(session: Session, sock: WASocket, chatId: string, messageId: string, resolved?: string): Promise<{ chat: string; message: WAMessage }> {
    const chat = resolved ?? (await this.deps.recipients.resolve(sock, chatId, 'chatId'));
    const message = await session.findMessage(chat, messageId);
    if (!message) throw new ApiError(404, 'message_not_found', `No message "${messageId}" in chat ${chat} (only messages the runtime has seen, within the retention period, can be used)`, { field: 'messageId' });
    return { chat, message };
  }

  private async content(request: SendRequest | ActionRequest, sock: WASocket, session: Session, to: string): Promise<AnyMessageContent> {
    switch (request.kind) {
      case 'reaction': {
        const { message } = await this.target(session, sock, request.body.to, request.body.messageId, to);
        return { react: { text: request.body.emoji, key: message.key } };
      }
      case 'edit': {
        const { message } = await this.target(session, sock, request.body.to, request.body.messageId, to);
        if (!message.key.fromMe) throw new ApiError(422, 'not_own_message', 'Only messages this account sent can be edited', { field: 'messageId' });
        return { text: request.body.text, edit: message.key };
      }
      case 'delete': {
        const { message } = await this.target(session, sock, request.body.to, request.body.messageId, to);
        if (!message.key.fromMe && !this.deps.b.isJidGroup(message.key.remoteJid ?? '')) throw new ApiError(422, 'not_own_message', 'Only your own messages (or, as a group admin, group messages) can be deleted for everyone', { field: 'messageId' });
        return { delete: message.key };
      }
      case 'forward':
        return { forward: (await this.target(session, sock, request.body.chatId, request.body.messageId)).message };
      case 'text': {
        const { text, linkPreview: preview = true } = request.body;
        const mentions = await Promise.all((request.body.mentions ?? []).map((m) => this.deps.recipients.resolve(sock, m, 'mentions')));
        const urlInfo = preview ? await linkPreview(text, { allowPrivateNetworks: this.deps.mediaLimits.allowPrivateNetworks, logger: this.deps.logger }) : undefined;
        return { text, ...(mentions.length && { mentions }), linkPreview: urlInfo ?? null };
      }
      case 'location': {
        const { latitude, longitude, name, address } = request.body;
        return { location: { degreesLatitude: latitude, degreesLongitude: longitude, ...(name && { name }), ...(address && { address }) } };
      }
      case 'contact': {
        const cards = request.body.contacts.map((card, index) => vcardOf(card, index));
        return { contacts: { displayName: cards.length === 1 ? cards[0].displayName : `${cards.length} contacts`, contacts: cards } };
      }
      case 'poll': {
        const { name, options, multipleAnswers = false } = request.body;
        return { poll: { name, values: options, selectableCount: multipleAnswers ? options.length : 1 } };
      }
      default:
        return mediaContent(request.kind, { ...request.body, fingerprint: '' }, this.deps.ffmpegPath);
    }
  }
}

/** An opted-out contact gets no new message, except a reply within 24 hours of their own (see audiences/opt-outs). */
export function assertNotOptedOut(optOuts: Pick<OptOuts, 'refusesDirect'> | undefined, session: string, to: string): void {
  if (optOuts?.refusesDirect(session, to)) {
    throw new ApiError(422, 'recipient_opted_out', `${to.split('@')[0]} opted out of messages from this number (they wrote an opt-out keyword); send with "ignoreOptOut": true only if they asked for this message`, { field: 'to' });
  }
}

async function quotedMessage(session: Session, chat: string, id: string | undefined) {
  if (!id) return undefined;
  const quoted = await session.findMessage(chat, id);
  if (!quoted) throw new ApiError(404, 'quoted_message_not_found', `No message "${id}" in this chat to reply to`, { field: 'quotedMessageId' });
  return quoted;
}

export function result(to: string, sent: { key: { id?: string | null }; messageTimestamp?: unknown } | undefined): SendResult {
  return { id: sent?.key.id ?? '', to, status: 'sent', timestamp: Number(sent?.messageTimestamp ?? Math.floor(Date.now() / 1000)) };
}
