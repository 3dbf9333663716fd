/**
 * http/routes/chats: conversations as the runtime stored them (paged list, messages newest first, in the event
 * schema's message shape) and what is done to a whole chat: mark read, archive/unarchive, mute/unmute, pin/unpin.
 * The settings go to WhatsApp as app-state patches, so the phone shows the same state.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors';
import type { SessionManager } from '../../sessions/manager';
import type { RecipientResolver } from '../../messages/recipients';
import { keyAddresses, normalizeMessage, type WAMessage } from '../../events/normalize';
import type { MessageEventData } from '../../events/schema';
import type { Baileys } from '../../whatsapp/baileys';
import { errorResponses, idParams } from './common';
import { whatsapp } from '../../whatsapp/errors';
import { routePermissions } from '../access';

export interface ChatRouteOptions {
  /** Shared by every route, so a number checked once is cached for all of them. */
  recipients: RecipientResolver;
  b: Baileys;
  sessions: SessionManager;
}

type ChatModification = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).ChatModification;

const chatParams = { type: 'object', required: ['id', 'chatId'], properties: { id: { type: 'string' }, chatId: { type: 'string', description: 'Phone number, JID, LID or group JID' } } } as const;

/** Messages one search looks at, at most. */
const SEARCH_SCAN_LIMIT = 5000;

export const chatRoutes: FastifyPluginAsync<ChatRouteOptions> = async (app, { b, sessions, recipients }) => {
  routePermissions(app, 'send');

  function messageView(me: { id: string; lid?: string } | undefined, message: WAMessage): MessageEventData {
    return normalizeMessage(b, message, message.key.fromMe ? { pn: me?.id, lid: me?.lid } : keyAddresses(b, message.key), false);
  }

  /** The chat's JID: JIDs as given (no WhatsApp query, so stored chats can be read while offline); numbers resolved. */
  async function chatJid(sessionId: string, chatId: string): Promise<string> {
    if (/@(g\.us|s\.whatsapp\.net|lid)$/.test(chatId)) return b.jidNormalizedUser(chatId);
    const { sock } = sessions.connected(sessionId);
    return recipients.resolve(sock, chatId, 'chatId');
  }

  app.get<{ Params: { id: string }; Querystring: { limit?: number; offset?: number; archived?: boolean; search?: string } }>(
    '/sessions/:id/chats',
    {
      schema: {
        tags: ['chats'],
        summary: 'Chats, pinned first, then by latest message',
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            offset: { type: 'integer', minimum: 0, default: 0 },
            archived: { type: 'boolean' },
            search: { type: 'string', minLength: 1, maxLength: 200, description: 'Part of the chat\'s name (any case) or of its number (at least three digits)' },
          },
        },
        response: { ...errorResponses },
      },
    },
    async (request) => {
      const session = sessions.get(request.params.id);
      const { limit = 50, offset = 0, archived, search } = request.query;
      const { chats, total } = await session.chats.list({ limit, offset, archived, search });
      return { chats: chats.map(view), total, limit, offset };
    },
  );

  app.get<{ Params: { id: string; chatId: string }; Querystring: { limit?: number; before?: string } }>(
    '/sessions/:id/chats/:chatId/messages',
    {
      schema: {
        tags: ['chats'],
        summary: 'Messages of a chat, newest first',
        description: 'Pass the returned `nextBefore` as `before` for the next (older) page.',
        params: chatParams,
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, before: { type: 'string', minLength: 1 } } },
        response: { ...errorResponses },
      },
    },
    async (request) => {
      const session = sessions.get(request.params.id);
      const jid = await chatJid(session.id, request.params.chatId);
      const chat = await session.chats.get(jid);
      if (!chat) throw new ApiError(404, 'chat_not_found', `No chat ${jid} in this session's store`);
      const { messages, nextBefore } = await session.chatMessages(jid, { limit: request.query.limit ?? 50, before: request.query.before });
      return { messages: messages.map((message) => messageView(session.me, message)), ...(nextBefore && { nextBefore }) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { q: string; chatId?: string; limit?: number } }>(
    '/sessions/:id/messages/search',
    {
      schema: {
        tags: ['chats'],
        summary: 'Search stored messages by text or caption (any case)',
        description: `Looks through the stored messages of the chats by latest message, each chat newest first, at most ${SEARCH_SCAN_LIMIT} messages a search; \`complete\` is false when it stopped before looking at every stored message. Matches come newest first.`,
        params: idParams,
        querystring: {
          type: 'object',
          required: ['q'],
          additionalProperties: false,
          properties: {
            q: { type: 'string', minLength: 2, maxLength: 200 },
            chatId: { type: 'string', minLength: 1, description: 'Only this chat (phone number, JID, LID or group JID)' },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
        },
        response: { ...errorResponses },
      },
    },
    async (request) => {
      const session = sessions.get(request.params.id);
      const { q, chatId, limit = 20 } = request.query;
      const chats = chatId ? [await chatJid(session.id, chatId)] : (await session.chats.list({ limit: Number.MAX_SAFE_INTEGER, offset: 0 })).chats.map((chat) => chat.id);
      const needle = q.toLowerCase();
      const found: MessageEventData[] = [];
      let scanned = 0;
      let complete = true;
      search: for (const chat of chats) {
        let before: string | undefined;
        do {
          if (scanned >= SEARCH_SCAN_LIMIT) {
            complete = false;
            break search;
          }
          const page = await session.chatMessages(chat, { limit: 100, before });
          for (const message of page.messages) {
            scanned++;
            const view = messageView(session.me, message);
            if (!(view.text ?? view.media?.caption)?.toLowerCase().includes(needle)) continue;
            found.push(view);
            if (found.length === limit) {
              complete = false;
              break search;
            }
          }
          before = page.nextBefore;
        } while (before);
      }
      return { messages: found.sort((a, c) => c.messageTimestamp - a.messageTimestamp), scanned, complete };
    },
  );

  app.post<{ Params: { id: string; chatId: string } }>(
    '/sessions/:id/chats/:chatId/read',
    {
      schema: { tags: ['chats'], summary: 'Mark a whole chat read', params: chatParams, response: { ...errorResponses } },
    },
    async (request) => {
      const { session, sock } = sessions.connected(request.params.id);
      const jid = await chatJid(session.id, request.params.chatId);
      const chat = await session.chats.get(jid);
      const { messages: recent } = await session.chatMessages(jid, { limit: Math.min(Math.max(chat?.unreadCount ?? 0, 1), 200) });
      const last = recent[0];
      if (!last) throw new ApiError(404, 'chat_not_found', `No messages of ${jid} in this session's store`);
      // read receipts tell the sender (blue ticks); the app-state patch tells the account's other devices
      const unread = recent.filter((m) => !m.key.fromMe).map((m) => m.key);
      if (unread.length) await whatsapp('send read receipts', () => sock.readMessages(unread));
      await whatsapp('mark the chat read', () => sock.chatModify({ markRead: true, lastMessages: [{ key: last.key, messageTimestamp: last.messageTimestamp }] }, jid));
      return view(await session.chats.update(jid, { unreadCount: 0 }));
    },
  );

  app.patch<{ Params: { id: string; chatId: string }; Body: { archived?: boolean; pinned?: boolean; muted?: boolean; mutedUntil?: string } }>(
    '/sessions/:id/chats/:chatId',
    {
      config: { permission: 'manage' },
      schema: {
        tags: ['chats'],
        summary: 'Archive, pin or mute a chat (or undo it)',
        description: '`muted: true` mutes for ever unless `mutedUntil` (a date-time) is given; `muted: false` unmutes.',
        params: chatParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { archived: { type: 'boolean' }, pinned: { type: 'boolean' }, muted: { type: 'boolean' }, mutedUntil: { type: 'string', format: 'date-time' } },
        },
        response: { ...errorResponses },
      },
    },
    async (request) => {
      const { session, sock } = sessions.connected(request.params.id);
      const jid = await chatJid(session.id, request.params.chatId);
      const { archived, pinned, muted, mutedUntil } = request.body;
      if (mutedUntil !== undefined && muted === false) throw new ApiError(400, 'validation_failed', '"mutedUntil" cannot be combined with muted: false', { field: 'mutedUntil' });
      const muteEnd = mutedUntil !== undefined ? Date.parse(mutedUntil) : muted ? -1 : undefined;
      if (muteEnd !== undefined && muteEnd !== -1 && muteEnd <= Date.now()) throw new ApiError(400, 'validation_failed', '"mutedUntil" must be in the future', { field: 'mutedUntil' });
      const { messages: [last] } = await session.chatMessages(jid, { limit: 1 });
      const lastMessages = last ? [{ key: last.key, messageTimestamp: last.messageTimestamp }] : [];
      const changes: ChatModification[] = [];
      if (archived !== undefined) {
        if (!last) throw new ApiError(422, 'chat_empty', 'A chat without messages in the store cannot be archived', { field: 'archived' });
        changes.push({ archive: archived, lastMessages });
      }
      if (pinned !== undefined) changes.push({ pin: pinned });
      if (muteEnd !== undefined) changes.push({ mute: muteEnd });
      else if (muted === false) changes.push({ mute: null });
      for (const change of changes) await whatsapp('change the chat', () => sock.chatModify(change, jid));
      const chat = await session.chats.update(jid, {
        ...(archived !== undefined && { archived }),
        ...(pinned !== undefined && { pinned }),
        ...(muteEnd !== undefined ? { mutedUntil: muteEnd } : muted === false ? { mutedUntil: 0 } : {}),
      });
      return view(chat);
    },
  );
};

function view<T extends { newestPage: number; mergedFrom?: unknown }>({ newestPage: _page, mergedFrom: _merged, ...chat }: T) {
  return chat;
}
