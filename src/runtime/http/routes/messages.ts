/**
 * http/routes/messages: sending. Text (mentions, quoted reply, link preview, Send and Wait), media (image, video,
 * audio, voice note, document, sticker; multipart, base64 or URL), location, contact cards and polls, to a phone
 * number, a JID, a LID or a group. Every send takes an `Idempotency-Key`. A send goes now (interactive) and answers
 * with the message id, or, with `lane: "bulk"` or `sendAt`, is queued (outbound/) and answers 202 with the id it
 * will carry.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { ApiError } from '../../errors';
import type { SessionManager } from '../../sessions/manager';
import type { MediaLimits } from '../../messages/media-input';
import { MEDIA_KINDS, readMediaRequest, vcardOf, type ContactCard, type MediaKind } from '../../messages/content';
import type { IdempotencyStore } from '../../messages/idempotency';
import { assertNotOptedOut, type MessageSender, type SendRequest, type SendResult } from '../../messages/sender';
import type { OptOuts } from '../../audiences/opt-outs';
import type { OutboundQueue, Lane } from '../../outbound/queue';
import type { Baileys } from '../../whatsapp/baileys';
import { DEFAULT_APPROVE_WORDS, DEFAULT_DISAPPROVE_WORDS, type WaitRegistry } from '../../waits';
import { errorResponses, idempotent, idParams } from './common';
import { routePermissions } from '../access';

export const sendResult = {
  type: 'object',
  properties: { id: { type: 'string' }, to: { type: 'string' }, status: { type: 'string' }, timestamp: { type: 'integer' } },
} as const;

const queuedResult = {
  type: 'object',
  properties: { id: { type: 'string' }, to: { type: 'string' }, status: { type: 'string', enum: ['queued'] }, lane: { type: 'string' }, sendAt: { type: 'string', nullable: true } },
} as const;

export interface MessageRouteOptions {
  b: Baileys;
  sessions: SessionManager;
  sender: MessageSender;
  outbound: OutboundQueue;
  mediaLimits: MediaLimits;
  waits: WaitRegistry;
  idempotency: IdempotencyStore;
  optOuts?: Pick<OptOuts, 'refusesDirect'>;
}

type Queueing = { lane?: Lane; sendAt?: string };

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
const ignoreOptOut = { type: 'boolean', description: 'Send although the recipient opted out (only when they asked for this message; a reply within 24 h of their own message needs no flag)' } as const;
const queueing = {
  lane: { type: 'string', enum: ['interactive', 'bulk'], default: 'interactive', description: '`bulk` queues the send behind the session\'s pacing (see /outbound); `interactive` sends now' },
  sendAt: { type: 'string', format: 'date-time', description: 'Queue the send until this time' },
} as const;
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
      body: { type: 'object', required: ['to', ...required], additionalProperties: false, properties: { to, quotedMessageId, ignoreOptOut, ...queueing, ...properties } },
      response: { 200: sendResult, 202: queuedResult, ...errorResponses },
    },
  };
}

export const messageRoutes: FastifyPluginAsync<MessageRouteOptions> = async (app, { b, sessions, sender, outbound, mediaLimits, waits, idempotency, optOuts }) => {
  routePermissions(app, 'send');
  // every route here sends a message (sent, queued or refused): the metrics count their answers as sends
  app.addHook('onRoute', (route) => {
    route.config ??= {};
    (route.config as { send?: boolean }).send = true;
  });
  /**
   * The one send path: now (through the interactive lane) or queued, once per Idempotency-Key. A Send and Wait
   * registers its wait after the content is built and before the message goes, so even an instant answer finds it.
   */
  async function dispatch(request: FastifyRequest, reply: FastifyReply, send: SendRequest, queueing: Queueing, fingerprint: unknown, wait?: WaitForReply): Promise<SendResult | QueuedResult> {
    const sessionId = (request.params as { id: string }).id;
    const session = sessions.get(sessionId);
    const sendAt = queueing.sendAt === undefined ? undefined : Date.parse(queueing.sendAt);
    const queued = queueing.lane === 'bulk' || sendAt !== undefined;
    if (queued && wait) throw new ApiError(400, 'validation_failed', 'A Send and Wait goes now: it cannot be queued with "lane" or "sendAt"', { field: 'waitForReply' });
    // a queued send is refused now, not when it comes due (a send made now is checked by the sender)
    if (queued && !send.body.ignoreOptOut) assertNotOptedOut(optOuts, sessionId, send.body.to);
    let registered: { id: string } | undefined;
    const result = await idempotent<SendResult | QueuedResult>(
      idempotency,
      request,
      reply,
      sessionId,
      { fingerprint, queueing },
      () => b.generateMessageIDV2(session.me?.id),
      async (messageId) => {
        if (queued) {
          const lane = queueing.lane ?? 'interactive';
          await outbound.enqueue(sessionId, { id: messageId, lane, request: send, ...(sendAt !== undefined && { sendAt }) });
          return { id: messageId, to: send.body.to, status: 'queued', lane, sendAt: sendAt === undefined ? null : new Date(sendAt).toISOString() };
        }
        try {
          return await outbound.sendNow(sessionId, send.body.to, () =>
            sender.send(sessionId, send, messageId, {
              beforeSend: wait ? async ({ to }) => void (registered = await waits.create({ ...wait, session: sessionId, chatId: to, messageId })) : undefined,
            }),
          );
        } catch (error) {
          if (registered) await waits.cancel(registered.id);
          throw error;
        }
      },
    );
    if (result.status === 'queued') reply.status(202);
    return result;
  }

  app.post<{ Params: { id: string }; Body: { to: string; text: string; mentions?: string[]; quotedMessageId?: string; linkPreview?: boolean; waitForReply?: WaitForReply } & Queueing }>(
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
      const { waitForReply: wait, lane, sendAt, ...body } = request.body;
      if (wait) checkWait(wait);
      return dispatch(request, reply, { kind: 'text', body }, { lane, sendAt }, request.body, wait);
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
          description: `JSON \`{to, ${spec.caption ? 'caption?, ' : ''}quotedMessageId?, fileName?, lane?, sendAt?, media: {base64 | url, mimetype?, fileName?}}\` or multipart/form-data with those fields and one file part. Accepted types: ${spec.types.join(', ')}; at most the configured media size.`,
          params: idParams,
          headers: idempotencyHeader,
          response: { 200: sendResult, 202: queuedResult, ...errorResponses },
        },
      },
      async (request, reply) => {
        sessions.get(request.params.id);
        const { fingerprint, lane, sendAt, ...body } = await readMediaRequest(request, kind, mediaLimits);
        if (lane !== undefined && lane !== 'interactive' && lane !== 'bulk') throw new ApiError(400, 'validation_failed', '"lane" must be "interactive" or "bulk"', { field: 'lane' });
        if (sendAt !== undefined && Number.isNaN(Date.parse(sendAt))) throw new ApiError(400, 'validation_failed', '"sendAt" must be a date-time', { field: 'sendAt' });
        return dispatch(request, reply, { kind, body }, { lane, sendAt }, fingerprint);
      },
    );
  }

  app.post<{ Params: { id: string }; Body: { to: string; latitude: number; longitude: number; name?: string; address?: string; quotedMessageId?: string } & Queueing }>(
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
      const { lane, sendAt, ...body } = request.body;
      return dispatch(request, reply, { kind: 'location', body }, { lane, sendAt }, request.body);
    },
  );

  app.post<{ Params: { id: string }; Body: { to: string; contacts: ContactCard[]; quotedMessageId?: string } & Queueing }>(
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
      const { lane, sendAt, ...body } = request.body;
      // checked now, so a bad card is refused before anything is queued
      body.contacts.forEach((card, index) => vcardOf(card, index));
      return dispatch(request, reply, { kind: 'contact', body }, { lane, sendAt }, request.body);
    },
  );

  app.post<{ Params: { id: string }; Body: { to: string; name: string; options: string[]; multipleAnswers?: boolean; quotedMessageId?: string; waitForReply?: WaitForReply } & Queueing }>(
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
      const { waitForReply: wait, lane, sendAt, ...body } = request.body;
      const { options, multipleAnswers = false } = body;
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
      return dispatch(request, reply, { kind: 'poll', body }, { lane, sendAt }, request.body, approval);
    },
  );
};

interface QueuedResult {
  id: string;
  to: string;
  status: 'queued';
  lane: Lane;
  sendAt: string | null;
}

function checkWait(wait: WaitForReply): void {
  if (wait.responseType === 'approval' && !wait.approveUrl) throw new ApiError(400, 'validation_failed', 'waitForReply of type approval needs approveUrl', { field: 'waitForReply.approveUrl' });
  if (wait.responseType === 'freeText' && !wait.textUrl) throw new ApiError(400, 'validation_failed', 'waitForReply of type freeText needs textUrl', { field: 'waitForReply.textUrl' });
}
