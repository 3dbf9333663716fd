/**
 * http/routes/messages: sending. Text (mentions, quoted reply) and images (multipart upload, base64 or URL) to a
 * phone number, a JID, a LID or a group. Every send answers with the message id and its status. Further message
 * kinds add routes here under `/sessions/:id/messages/<kind>`.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { ApiError, errorBodySchema } from '../errors';
import type { SessionManager } from '../../sessions/manager';
import { messageKey, type Session } from '../../sessions/session';
import { RecipientResolver } from '../../messages/recipients';
import { IMAGE_TYPES, checked, fromBase64, fromUrl, type MediaInput, type MediaLimits } from '../../messages/media-input';
import type { Baileys } from '../../whatsapp/baileys';
import type { WaitRegistry } from '../../waits';

type WASocket = ReturnType<Baileys['makeWASocket']>;

const sendResult = {
  type: 'object',
  properties: { id: { type: 'string' }, to: { type: 'string' }, status: { type: 'string' }, timestamp: { type: 'integer' } },
} as const;
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
const errors = { 400: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 413: errorBodySchema, 415: errorBodySchema, 422: errorBodySchema };

export interface MessageRouteOptions {
  b: Baileys;
  sessions: SessionManager;
  mediaLimits: MediaLimits;
  waits: WaitRegistry;
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

export const messageRoutes: FastifyPluginAsync<MessageRouteOptions> = async (app, { b, sessions, mediaLimits, waits }) => {
  const recipients = new RecipientResolver(b);

  app.post<{ Params: { id: string }; Body: { to: string; text: string; mentions?: string[]; quotedMessageId?: string; waitForReply?: WaitForReply } }>(
    '/sessions/:id/messages/text',
    {
      schema: {
        tags: ['messages'],
        summary: 'Send a text message',
        params: idParams,
        body: {
          type: 'object',
          required: ['to', 'text'],
          additionalProperties: false,
          properties: {
            to: { type: 'string', minLength: 1, description: 'Phone number (any format, with country code), phone JID, LID or group JID' },
            text: { type: 'string', minLength: 1, maxLength: 65536 },
            mentions: { type: 'array', items: { type: 'string' }, maxItems: 256 },
            quotedMessageId: { type: 'string', minLength: 1 },
            waitForReply: waitForReplySchema,
          },
        },
        response: { 200: sendResult, ...errors },
      },
    },
    async (request) => {
      const { session, sock } = connected(sessions, request.params.id);
      const to = await recipients.resolve(sock, request.body.to);
      const mentions = await Promise.all((request.body.mentions ?? []).map((m) => recipients.resolve(sock, m, 'mentions')));
      const quoted = await quotedMessage(session, to, request.body.quotedMessageId);
      const wait = request.body.waitForReply;
      if (wait?.responseType === 'approval' && !wait.approveUrl) throw new ApiError(400, 'validation_failed', 'waitForReply of type approval needs approveUrl', { field: 'waitForReply.approveUrl' });
      if (wait?.responseType === 'freeText' && !wait.textUrl) throw new ApiError(400, 'validation_failed', 'waitForReply of type freeText needs textUrl', { field: 'waitForReply.textUrl' });
      // the wait exists before the message does, so even an instant answer finds it
      const messageId = b.generateMessageIDV2(sock.user?.id);
      const registered = wait ? await waits.create({ ...wait, session: session.id, chatId: to, messageId }) : undefined;
      try {
        const sent = await sock.sendMessage(to, { text: request.body.text, ...(mentions.length && { mentions }) }, { messageId, ...(quoted && { quoted }) });
        return result(to, sent);
      } catch (error) {
        if (registered) await waits.cancel(registered.id);
        throw error;
      }
    },
  );

  app.post<{ Params: { id: string } }>(
    '/sessions/:id/messages/image',
    {
      schema: {
        tags: ['messages'],
        summary: 'Send an image',
        description:
          'JSON `{to, caption?, quotedMessageId?, image: {base64 | url, mimetype?}}` or multipart/form-data with fields `to`, `caption`, `quotedMessageId` and one file part. JPEG, PNG or WebP.',
        params: idParams,
        response: { 200: sendResult, ...errors },
      },
    },
    async (request) => {
      const input = await readImageRequest(request, mediaLimits);
      const { session, sock } = connected(sessions, (request.params as { id: string }).id);
      const to = await recipients.resolve(sock, input.to);
      const quoted = await quotedMessage(session, to, input.quotedMessageId);
      const sent = await sock.sendMessage(to, { image: input.media.data, mimetype: input.media.mimetype, ...(input.caption && { caption: input.caption }) }, { ...(quoted && { quoted }) });
      return result(to, sent);
    },
  );
};

function connected(sessions: SessionManager, id: string): { session: Session; sock: WASocket } {
  const session = sessions.get(id);
  const sock = session.socket;
  if (!sock) {
    const hint = session.status === 'qr' ? ': scan its QR code first' : session.status === 'stopped' ? ': start it first' : '';
    throw new ApiError(409, 'session_not_connected', `The session "${id}" is not connected (status: ${session.status})${hint}`);
  }
  return { session, sock };
}

async function quotedMessage(session: Session, chat: string, id: string | undefined) {
  if (!id) return undefined;
  const quoted = await session.storedMessage(messageKey(chat, id));
  if (!quoted) throw new ApiError(404, 'quoted_message_not_found', `No message "${id}" in this chat to reply to`, { field: 'quotedMessageId' });
  return quoted;
}

function result(to: string, sent: { key: { id?: string | null }; messageTimestamp?: unknown } | undefined) {
  return { id: sent?.key.id ?? '', to, status: 'sent', timestamp: Number(sent?.messageTimestamp ?? Math.floor(Date.now() / 1000)) };
}

interface ImageRequest {
  to: string;
  caption?: string;
  quotedMessageId?: string;
  media: MediaInput;
}

async function readImageRequest(request: FastifyRequest, limits: MediaLimits): Promise<ImageRequest> {
  if (request.isMultipart()) {
    const fields: Record<string, string> = {};
    let media: MediaInput | undefined;
    for await (const part of request.parts({ limits: { fileSize: limits.maxBytes, files: 1 } })) {
      if (part.type === 'file') {
        const data = await part.toBuffer().catch(() => {
          throw new ApiError(413, 'media_too_large', `The media is larger than the limit of ${limits.maxBytes} bytes`, { field: part.fieldname });
        });
        media = checked({ data, mimetype: part.mimetype === 'application/octet-stream' ? '' : part.mimetype }, IMAGE_TYPES, limits, part.fieldname);
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
    if (!fields.to) throw new ApiError(400, 'validation_failed', 'Missing field "to"', { field: 'to' });
    if (!media) throw new ApiError(400, 'validation_failed', 'Missing the image file part', { field: 'image' });
    return { to: fields.to, caption: fields.caption, quotedMessageId: fields.quotedMessageId, media };
  }
  const body = (request.body ?? {}) as { to?: unknown; caption?: unknown; quotedMessageId?: unknown; image?: { base64?: unknown; url?: unknown; mimetype?: unknown } };
  if (typeof body.to !== 'string' || !body.to) throw new ApiError(400, 'validation_failed', 'Missing field "to"', { field: 'to' });
  if (body.caption !== undefined && typeof body.caption !== 'string') throw new ApiError(400, 'validation_failed', '"caption" must be a string', { field: 'caption' });
  const image = body.image;
  if (!image || (typeof image.base64 !== 'string') === (typeof image.url !== 'string')) {
    throw new ApiError(400, 'validation_failed', 'Give exactly one of "image.base64" or "image.url"', { field: 'image' });
  }
  const mimetype = typeof image.mimetype === 'string' ? image.mimetype.toLowerCase() : undefined;
  const media = typeof image.base64 === 'string' ? fromBase64(image.base64, mimetype, IMAGE_TYPES, limits, 'image.base64') : await fromUrl(image.url as string, IMAGE_TYPES, limits, 'image.url');
  return { to: body.to, caption: body.caption as string | undefined, quotedMessageId: typeof body.quotedMessageId === 'string' ? body.quotedMessageId : undefined, media };
}
