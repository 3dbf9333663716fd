/**
 * messages/sender: the one way a message leaves. Resolves the recipient and the quoted message, builds the Baileys
 * content of its kind and sends it under a given message id. The REST routes (send now) and the outbound queue
 * (send later, paced) both go through it, so a queued message is exactly what the same request would have sent.
 */
import type { Logger } from 'pino';
import { ApiError } from '../errors';
import type { SessionManager } from '../sessions/manager';
import type { Session } from '../sessions/session';
import type { WASocket } from '../whatsapp/baileys';
import { mediaContent, vcardOf, type ContactCard, type MediaKind, type MediaRequest } from './content';
import { linkPreview } from './link-preview';
import type { MediaLimits } from './media-input';
import type { RecipientResolver } from './recipients';

type AnyMessageContent = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).AnyMessageContent;

export type SendKind = 'text' | MediaKind | 'location' | 'contact' | 'poll';

export interface TextBody { to: string; text: string; mentions?: string[]; linkPreview?: boolean; quotedMessageId?: string }
export interface LocationBody { to: string; latitude: number; longitude: number; name?: string; address?: string; quotedMessageId?: string }
export interface ContactBody { to: string; contacts: ContactCard[]; quotedMessageId?: string }
export interface PollBody { to: string; name: string; options: string[]; multipleAnswers?: boolean; quotedMessageId?: string }
export type MediaBody = Omit<MediaRequest, 'fingerprint' | 'lane' | 'sendAt'>;

export type SendRequest =
  | { kind: 'text'; body: TextBody }
  | { kind: MediaKind; body: MediaBody }
  | { kind: 'location'; body: LocationBody }
  | { kind: 'contact'; body: ContactBody }
  | { kind: 'poll'; body: PollBody };

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
    private readonly deps: { sessions: SessionManager; recipients: RecipientResolver; mediaLimits: MediaLimits; ffmpegPath: string; logger: Logger },
  ) {}

  async send(sessionId: string, request: SendRequest, messageId: string, hooks: SendHooks = {}): Promise<SendResult> {
    const { session, sock } = this.deps.sessions.connected(sessionId);
    const to = await this.deps.recipients.resolve(sock, request.body.to);
    const quoted = await quotedMessage(session, to, request.body.quotedMessageId);
    const content = await this.content(request, sock);
    await hooks.beforeSend?.({ sock, to, messageId });
    return result(to, await sock.sendMessage(to, content, { messageId, ...(quoted && { quoted }) }));
  }

  private async content(request: SendRequest, sock: WASocket): Promise<AnyMessageContent> {
    switch (request.kind) {
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

async function quotedMessage(session: Session, chat: string, id: string | undefined) {
  if (!id) return undefined;
  const quoted = await session.findMessage(chat, id);
  if (!quoted) throw new ApiError(404, 'quoted_message_not_found', `No message "${id}" in this chat to reply to`, { field: 'quotedMessageId' });
  return quoted;
}

export function result(to: string, sent: { key: { id?: string | null }; messageTimestamp?: unknown } | undefined): SendResult {
  return { id: sent?.key.id ?? '', to, status: 'sent', timestamp: Number(sent?.messageTimestamp ?? Math.floor(Date.now() / 1000)) };
}
