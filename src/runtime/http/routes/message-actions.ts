/**
 * http/routes/message-actions: what is done to messages that exist: react (and remove the reaction), edit, delete
 * for everyone, forward, mark read, typing/recording presence in a chat, and downloading a received message's
 * media (streamed, re-requested from the phone when WhatsApp's copy expired).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors';
import type { SessionManager } from '../../sessions/manager';
import type { Session } from '../../sessions/session';
import type { RecipientResolver } from '../../messages/recipients';
import type { IdempotencyStore } from '../../messages/idempotency';
import type { WAMessage } from '../../events/normalize';
import type { Baileys } from '../../whatsapp/baileys';
import { errorResponses, idempotent, idParams } from './common';
import { whatsapp } from '../../whatsapp/errors';
import type { WASocket } from '../../whatsapp/baileys';
import { sendResult } from './messages';
import type { ActionRequest, MessageSender } from '../../messages/sender';
import type { OutboundQueue } from '../../outbound/queue';
import { routePermissions } from '../access';
import { extensionOf } from '../../messages/media-input';

export interface MessageActionOptions {
  /** Shared by every route, so a number checked once is cached for all of them. */
  recipients: RecipientResolver;
  b: Baileys;
  sessions: SessionManager;
  sender: MessageSender;
  outbound: OutboundQueue;
  idempotency: IdempotencyStore;
}

const target = {
  chatId: { type: 'string', minLength: 1, description: 'The chat the message is in (phone number, JID, LID or group JID)' },
  messageId: { type: 'string', minLength: 1 },
} as const;

function body(properties: Record<string, unknown>, required: string[]) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}

const MEDIA_FIELDS = ['imageMessage', 'videoMessage', 'audioMessage', 'documentMessage', 'stickerMessage', 'ptvMessage'] as const;

export const messageActionRoutes: FastifyPluginAsync<MessageActionOptions> = async (app, { b, sessions, sender, outbound, idempotency, recipients }) => {
  routePermissions(app, 'send');

  const stored = (session: Session, sock: WASocket, chatId: string, messageId: string) => sender.target(session, sock, chatId, messageId);

  /** Sends a message that acts on another one through the one send path, once per Idempotency-Key. */
  async function act(request: FastifyRequest<{ Params: { id: string }; Body: { chatId: string; messageId: string } }>, reply: FastifyReply, action: ActionRequest) {
    const sessionId = request.params.id;
    return idempotent(idempotency, request, reply, sessionId, { body: request.body }, () => b.generateMessageIDV2(sessions.get(sessionId).me?.id), (newId) =>
      outbound.sendNow(sessionId, action.body.to, () => sender.send(sessionId, action, newId)),
    );
  }

  app.post<{ Params: { id: string }; Body: { chatId: string; messageId: string; emoji: string } }>(
    '/sessions/:id/messages/reaction',
    {
      schema: {
        tags: ['messages'],
        summary: 'React to a message (an empty emoji removes the reaction)',
        params: idParams,
        body: body({ ...target, emoji: { type: 'string', maxLength: 32 } }, ['chatId', 'messageId', 'emoji']),
        response: { 200: sendResult, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { emoji } = request.body;
      if (emoji && [...new Intl.Segmenter().segment(emoji)].length !== 1) throw new ApiError(400, 'validation_failed', 'A reaction is a single emoji, or "" to remove it', { field: 'emoji' });
      return act(request, reply, { kind: 'reaction', body: { to: request.body.chatId, messageId: request.body.messageId, emoji } });
    },
  );

  app.post<{ Params: { id: string }; Body: { chatId: string; messageId: string; text: string } }>(
    '/sessions/:id/messages/edit',
    {
      schema: {
        tags: ['messages'],
        summary: 'Edit the text of a message this account sent',
        params: idParams,
        body: body({ ...target, text: { type: 'string', minLength: 1, maxLength: 65536 } }, ['chatId', 'messageId', 'text']),
        response: { 200: sendResult, ...errorResponses },
      },
    },
    async (request, reply) => {
      return act(request, reply, { kind: 'edit', body: { to: request.body.chatId, messageId: request.body.messageId, text: request.body.text } });
    },
  );

  app.post<{ Params: { id: string }; Body: { chatId: string; messageId: string } }>(
    '/sessions/:id/messages/delete',
    {
      schema: {
        tags: ['messages'],
        summary: 'Delete a message for everyone',
        description: 'Own messages, or (as a group admin) other members\' messages in a group.',
        params: idParams,
        body: body(target, ['chatId', 'messageId']),
        response: { 200: sendResult, ...errorResponses },
      },
    },
    async (request, reply) => {
      return act(request, reply, { kind: 'delete', body: { to: request.body.chatId, messageId: request.body.messageId } });
    },
  );

  app.post<{ Params: { id: string }; Body: { to: string; chatId: string; messageId: string } }>(
    '/sessions/:id/messages/forward',
    {
      schema: {
        tags: ['messages'],
        summary: 'Forward a message to another chat',
        params: idParams,
        body: body({ to: { type: 'string', minLength: 1 }, ...target }, ['to', 'chatId', 'messageId']),
        response: { 200: sendResult, ...errorResponses },
      },
    },
    async (request, reply) => {
      return act(request, reply, { kind: 'forward', body: request.body });
    },
  );

  app.post<{ Params: { id: string }; Body: { chatId: string; messageIds: string[] } }>(
    '/sessions/:id/messages/read',
    {
      schema: {
        tags: ['messages'],
        summary: 'Mark received messages as read (blue ticks)',
        params: idParams,
        body: body({ chatId: target.chatId, messageIds: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', minLength: 1 } } }, ['chatId', 'messageIds']),
        response: { 200: { type: 'object', properties: { read: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (request) => {
      const { session, sock } = sessions.connected(request.params.id);
      const keys: WAMessage['key'][] = [];
      for (const id of request.body.messageIds) keys.push((await stored(session, sock, request.body.chatId, id)).message.key);
      await whatsapp('mark the messages read', () => sock.readMessages(keys));
      return { read: keys.length };
    },
  );

  app.post<{ Params: { id: string }; Body: { chatId: string; state: 'composing' | 'recording' | 'paused' } }>(
    '/sessions/:id/presence',
    {
      schema: {
        tags: ['messages'],
        summary: 'Show "typing…" or "recording audio…" in a chat, or stop showing it',
        params: idParams,
        body: body({ chatId: target.chatId, state: { type: 'string', enum: ['composing', 'recording', 'paused'] } }, ['chatId', 'state']),
        response: { 200: { type: 'object', properties: { chatId: { type: 'string' }, state: { type: 'string' } } }, ...errorResponses },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const chat = await recipients.resolve(sock, request.body.chatId, 'chatId');
      await whatsapp('send the presence', () => sock.sendPresenceUpdate(request.body.state, chat));
      return { chatId: chat, state: request.body.state };
    },
  );

  app.get<{ Params: { id: string; messageId: string }; Querystring: { chatId: string } }>(
    '/sessions/:id/messages/:messageId/media',
    {
      schema: {
        tags: ['messages'],
        summary: 'Download the media of a message (streamed)',
        description: 'Answers with the media bytes, its Content-Type and a Content-Disposition file name. Media WhatsApp no longer holds is re-requested from the sender\'s phone.',
        params: { type: 'object', required: ['id', 'messageId'], properties: { id: { type: 'string' }, messageId: { type: 'string' } } },
        querystring: { type: 'object', required: ['chatId'], additionalProperties: false, properties: { chatId: target.chatId } },
        response: { ...errorResponses },
      },
    },
    async (request, reply) => {
      const { session, sock } = sessions.connected(request.params.id);
      const { message } = await stored(session, sock, request.query.chatId, request.params.messageId);
      const content = b.normalizeMessageContent(message.message);
      const field = MEDIA_FIELDS.find((f) => content?.[f]) ?? (content?.documentWithCaptionMessage?.message?.documentMessage ? 'documentMessage' : undefined);
      const media = field && (content?.[field] ?? content?.documentWithCaptionMessage?.message?.documentMessage);
      if (!media) throw new ApiError(422, 'no_media', 'This message has no media', { field: 'messageId' });
      const stream = await whatsapp('download the media', () => session.downloadMedia(message));
      const mimetype = media.mimetype?.split(';')[0] ?? 'application/octet-stream';
      const fileName = ('fileName' in media && media.fileName) || `${request.params.messageId}.${extensionOf(mimetype)}`;
      reply.header('content-type', mimetype);
      reply.header('content-disposition', `attachment; filename="${fileName.replace(/["\\\r\n]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`);
      return reply.send(stream);
    },
  );
};
