/**
 * http/routes/messages: sending. Text (mentions, quoted reply, link preview, Send and Wait), media (image, video,
 * audio, voice note, document, sticker; multipart, base64 or URL), location, contact cards and polls, to a phone
 * number, a JID, a LID or a group. Every send takes an `Idempotency-Key` and answers with the message id.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import type { Logger } from 'pino';
import { ApiError } from '../errors';
import type { SessionManager } from '../../sessions/manager';
import { messageKey, type Session } from '../../sessions/session';
import type { RecipientResolver } from '../../messages/recipients';
import type { MediaLimits } from '../../messages/media-input';
import { MEDIA_KINDS, mediaContent, readMediaRequest, vcardOf, type ContactCard, type MediaKind } from '../../messages/content';
import type { IdempotencyStore } from '../../messages/idempotency';
import { linkPreview } from '../../messages/link-preview';
import type { Baileys } from '../../whatsapp/baileys';
import { DEFAULT_APPROVE_WORDS, DEFAULT_DISAPPROVE_WORDS, type WaitRegistry } from '../../waits';
import { connected, errorResponses, idParams, type WASocket } from './common';

type AnyMessageContent = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).AnyMessageContent;

export const sendResult = {
  type: 'object',
  properties: { id: { type: 'string' }, to: { type: 'string' }, status: { type: 'string' }, timestamp: { type: 'integer' } },
} as const;

export interface MessageRouteOptions {
  /** Shared by every route, so a number checked once is cached for all of them. */
  recipients: RecipientResolver;
  b: Baileys;
  sessions: SessionManager;
  mediaLimits: MediaLimits;
  waits: WaitRegistry;
  idempotency: IdempotencyStore;
  ffmpegPath: string;
  logger: Logger;
}

type WaitForReply = { responseType: 'approval' | 'freeText'; approveUrl?: string; disapproveUrl?: string; textUrl?: string; approveWords?: string[]; disapproveWords?: string[]; expiresAt?: string };

const resumeUrl = { type: 'string', pattern: '^https?://', maxLength: 4096 } as const;
const waitForReplySchema = {
  type: 'object',
  required: ['responseType'],
  additionalProperties: false,
  description: 'Send and Wait: resume these n8n URLs when the chat answers this message',
  properties: {
    responseType: { type: 'string', enum: ['approval', 'freeText'] },
    approveUrl: resumeUrl,
    disapproveUrl: resumeUrl,
    textUrl: resumeUrl,
    approveWords: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 50 },
    disapproveWords: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 50 },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

const to = { type: 'string', minLength: 1, description: 'Phone number (any format, with country code), phone JID, LID or group JID' } as const;
const quotedMessageId = { type: 'string', minLength: 1, description: 'Reply to this message of the same chat' } as const;
const idempotencyHeader = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', description: 'Sends with the same key happen once; a retry returns the first result' } },
} as const;

function jsonSend(summary: string, properties: Record<string, unknown>, required: string[], description?: string) {
  return {
    schema: {
      tags: ['messages'],
      summary,
      ...(description && { description }),
      params: idParams,
      headers: idempotencyHeader,
      body: { type: 'object', required: ['to', ...required], additionalProperties: false, properties: { to, quotedMessageId, ...properties } },
      response: { 200: sendResult, ...errorResponses },
    },
  };
}

export const messageRoutes: FastifyPluginAsync<MessageRouteOptions> = async (app, { b, sessions, mediaLimits, waits, idempotency, ffmpegPath, logger, recipients }) => {

  /**
   * The one send path: resolve the recipient and the quoted message, then send once per Idempotency-Key. `build`
   * runs inside the idempotent section, so a replay neither downloads nor converts media again.
   */
  async function send(
    request: FastifyRequest,
    reply: FastifyReply,
    input: { to: string; quotedMessageId?: string },
    fingerprint: unknown,
    build: (ctx: { sock: WASocket; to: string; messageId: string }) => Promise<AnyMessageContent>,
    hooks: { onFailure?(): Promise<void> } = {},
  ): Promise<SendResult> {
    const sessionId = (request.params as { id: string }).id;
    const key = request.headers['idempotency-key'];
    const { result: sent, replayed } = await idempotency.run(
      sessionId,
      Array.isArray(key) ? key[0] : key,
      { route: request.routeOptions.url, fingerprint },
      () => b.generateMessageIDV2(sessions.get(sessionId).me?.id),
      async (messageId) => {
        const { session, sock } = connected(sessions, sessionId);
        const jid = await recipients.resolve(sock, input.to);
        const quoted = await quotedMessage(session, jid, input.quotedMessageId);
        const content = await build({ sock, to: jid, messageId });
        try {
          return result(jid, await sock.sendMessage(jid, content, { messageId, ...(quoted && { quoted }) }));
        } catch (error) {
          await hooks.onFailure?.();
          throw error;
        }
      },
    );
    if (replayed) reply.header('idempotent-replayed', 'true');
    return sent;
  }

  /** `send` with an optional Send and Wait: the wait exists before the message does, so even an instant answer finds it. */
  async function sendWaiting(
    request: FastifyRequest<{ Params: { id: string }; Body: { to: string; quotedMessageId?: string } }>,
    reply: FastifyReply,
    wait: WaitForReply | undefined,
    build: (ctx: { sock: WASocket; to: string; messageId: string }) => Promise<AnyMessageContent>,
  ): Promise<SendResult> {
    let registered: { id: string } | undefined;
    return send(
      request,
      reply,
      request.body,
      request.body,
      async (ctx) => {
        const content = await build(ctx);
        if (wait) registered = await waits.create({ ...wait, session: request.params.id, chatId: ctx.to, messageId: ctx.messageId });
        return content;
      },
      { onFailure: async () => void (registered && (await waits.cancel(registered.id))) },
    );
  }

  app.post<{ Params: { id: string }; Body: { to: string; text: string; mentions?: string[]; quotedMessageId?: string; linkPreview?: boolean; waitForReply?: WaitForReply } }>(
    '/sessions/:id/messages/text',
    jsonSend(
      'Send a text message',
      {
        text: { type: 'string', minLength: 1, maxLength: 65536 },
        mentions: { type: 'array', items: { type: 'string' }, maxItems: 256, description: 'Numbers or JIDs to @mention (write @<number> in the text)' },
        linkPreview: { type: 'boolean', default: true, description: 'Attach a preview card of the first URL in the text' },
        waitForReply: waitForReplySchema,
      },
      ['text'],
    ),
    async (request, reply) => {
      const { text, waitForReply: wait, linkPreview: preview = true } = request.body;
      if (wait) checkWait(wait);
      return sendWaiting(request, reply, wait, async ({ sock }) => {
        const mentions = await Promise.all((request.body.mentions ?? []).map((m) => recipients.resolve(sock, m, 'mentions')));
        const urlInfo = preview ? await linkPreview(text, { allowPrivateNetworks: mediaLimits.allowPrivateNetworks, logger }) : undefined;
        return { text, ...(mentions.length && { mentions }), linkPreview: urlInfo ?? null };
      });
    },
  );

  for (const kind of Object.keys(MEDIA_KINDS) as MediaKind[]) {
    const spec = MEDIA_KINDS[kind];
    app.post<{ Params: { id: string } }>(
      `/sessions/:id/messages/${kind}`,
      {
        schema: {
          tags: ['messages'],
          summary: spec.summary,
          description: `JSON \`{to, ${spec.caption ? 'caption?, ' : ''}quotedMessageId?, fileName?, media: {base64 | url, mimetype?, fileName?}}\` or multipart/form-data with those fields and one file part. Accepted types: ${spec.types.join(', ')}; at most the configured media size.`,
          params: idParams,
          headers: idempotencyHeader,
          response: { 200: sendResult, ...errorResponses },
        },
      },
      async (request, reply) => {
        sessions.get(request.params.id);
        const input = await readMediaRequest(request, kind, mediaLimits);
        return send(request, reply, input, input.fingerprint, () => mediaContent(kind, input, ffmpegPath));
      },
    );
  }

  app.post<{ Params: { id: string }; Body: { to: string; latitude: number; longitude: number; name?: string; address?: string; quotedMessageId?: string } }>(
    '/sessions/:id/messages/location',
    jsonSend(
      'Send a location',
      {
        latitude: { type: 'number', minimum: -90, maximum: 90 },
        longitude: { type: 'number', minimum: -180, maximum: 180 },
        name: { type: 'string', maxLength: 1000 },
        address: { type: 'string', maxLength: 1000 },
      },
      ['latitude', 'longitude'],
    ),
    async (request, reply) => {
      const { latitude, longitude, name, address } = request.body;
      return send(request, reply, request.body, request.body, async () => ({ location: { degreesLatitude: latitude, degreesLongitude: longitude, ...(name && { name }), ...(address && { address }) } }));
    },
  );

  app.post<{ Params: { id: string }; Body: { to: string; contacts: ContactCard[]; quotedMessageId?: string } }>(
    '/sessions/:id/messages/contact',
    jsonSend(
      'Send one or more contact cards',
      {
        contacts: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          items: {
            type: 'object',
            additionalProperties: false,
            properties: { name: { type: 'string', minLength: 1 }, phone: { type: 'string', minLength: 1 }, organization: { type: 'string' }, email: { type: 'string' }, vcard: { type: 'string', minLength: 1 } },
          },
        },
      },
      ['contacts'],
      'Each contact is `{name, phone, organization?, email?}` (a vCard is built) or `{vcard}`.',
    ),
    async (request, reply) => {
      const cards = request.body.contacts.map((card, index) => vcardOf(card, index));
      const displayName = cards.length === 1 ? cards[0].displayName : `${cards.length} contacts`;
      return send(request, reply, request.body, request.body, async () => ({ contacts: { displayName, contacts: cards } }));
    },
  );

  app.post<{ Params: { id: string }; Body: { to: string; name: string; options: string[]; multipleAnswers?: boolean; quotedMessageId?: string; waitForReply?: WaitForReply } }>(
    '/sessions/:id/messages/poll',
    jsonSend(
      'Send a poll',
      {
        name: { type: 'string', minLength: 1, maxLength: 255, description: 'The question' },
        options: { type: 'array', minItems: 2, maxItems: 12, items: { type: 'string', minLength: 1, maxLength: 100 } },
        multipleAnswers: { type: 'boolean', default: false, description: 'Let voters pick several options' },
        waitForReply: { ...waitForReplySchema, description: 'Send and Wait (approval only, two options): a vote for the first option calls approveUrl, for the second disapproveUrl; replying in words works as for text' },
      },
      ['name', 'options'],
      'Votes arrive as `poll.vote` events with the chosen option names.',
    ),
    async (request, reply) => {
      const { name, options, multipleAnswers = false, waitForReply: wait } = request.body;
      if (new Set(options.map((o) => o.trim().toLowerCase())).size !== options.length) throw new ApiError(400, 'validation_failed', 'Poll options must be different from each other', { field: 'options' });
      if (wait) {
        if (wait.responseType !== 'approval') throw new ApiError(400, 'validation_failed', 'A poll can only wait for an approval: use responseType "approval"', { field: 'waitForReply.responseType' });
        if (options.length !== 2 || multipleAnswers) throw new ApiError(400, 'validation_failed', 'A poll that waits for an approval needs exactly two options (approve, decline) and single answers', { field: 'options' });
        checkWait(wait);
      }
      const approval = wait && {
        ...wait,
        approveWords: [...(wait.approveWords ?? DEFAULT_APPROVE_WORDS), options[0]],
        disapproveWords: [...(wait.disapproveWords ?? DEFAULT_DISAPPROVE_WORDS), options[1]],
      };
      return sendWaiting(request, reply, approval, async () => ({ poll: { name, values: options, selectableCount: multipleAnswers ? options.length : 1 } }));
    },
  );
};

function checkWait(wait: WaitForReply): void {
  if (wait.responseType === 'approval' && !wait.approveUrl) throw new ApiError(400, 'validation_failed', 'waitForReply of type approval needs approveUrl', { field: 'waitForReply.approveUrl' });
  if (wait.responseType === 'freeText' && !wait.textUrl) throw new ApiError(400, 'validation_failed', 'waitForReply of type freeText needs textUrl', { field: 'waitForReply.textUrl' });
}

export async function quotedMessage(session: Session, chat: string, id: string | undefined) {
  if (!id) return undefined;
  const quoted = await session.storedMessage(messageKey(chat, id));
  if (!quoted) throw new ApiError(404, 'quoted_message_not_found', `No message "${id}" in this chat to reply to`, { field: 'quotedMessageId' });
  return quoted;
}

export interface SendResult {
  id: string;
  to: string;
  status: 'sent';
  timestamp: number;
}

export function result(to: string, sent: { key: { id?: string | null }; messageTimestamp?: unknown } | undefined): SendResult {
  return { id: sent?.key.id ?? '', to, status: 'sent', timestamp: Number(sent?.messageTimestamp ?? Math.floor(Date.now() / 1000)) };
}
