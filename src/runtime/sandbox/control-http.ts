/**
 * sandbox/control-http: the simulator's control API over HTTP (a fastify plugin). The runtime mounts it under
 * `/api/v1/sandbox` in sandbox mode (behind its API key); `whatsapp-runtime sandbox` serves it on loopback. Same
 * operations as the in-process `Simulator` methods: users, scanning a QR code, entering a pairing code, making a
 * simulated contact send any message kind, reading what a contact received, receipts, disconnects, groups.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../errors';
import { buildMessage } from './messages';
import type { MediaKind, Simulator } from './simulator';
import type { ProtoMessage } from './phone';
import type { SimUser } from './users';

const phoneParams = { type: 'object', required: ['phone'], properties: { phone: { type: 'string' } } } as const;

interface SendBody {
  to: string;
  type: 'text' | 'reply' | 'reaction' | 'edit' | 'delete' | 'location' | 'contact' | 'poll' | MediaKind;
  text?: string;
  messageId?: string;
  fromMe?: boolean;
  quotedText?: string;
  emoji?: string;
  latitude?: number;
  longitude?: number;
  name?: string;
  address?: string;
  contactName?: string;
  contactPhone?: string;
  options?: string[];
  selectableCount?: number;
  base64?: string;
  mimetype?: string;
  fileName?: string;
  caption?: string;
  seconds?: number;
}

export const sandboxControlRoutes: FastifyPluginAsync<{ simulator: Simulator }> = async (app, { simulator }) => {
  const userOr404 = (phone: string): SimUser => {
    try {
      return simulator.user(phone);
    } catch {
      throw new ApiError(404, 'sandbox_user_not_found', `No simulated user ${phone}`);
    }
  };
  const view = (u: SimUser) => ({ phone: u.pn, lid: u.lid, jid: u.pnJid, lidJid: u.lidJid, name: u.name, linkedDevices: [...u.devices.keys()], online: u.online });
  const tags = ['sandbox'];

  app.get('/sandbox', { schema: { tags, summary: 'The simulator: its URL, root key and media certificate' } }, async () => ({
    url: simulator.url,
    rootKey: simulator.rootPublicKeyBase64,
    mediaCertificate: simulator.media.certificatePem,
  }));

  app.get('/sandbox/users', { schema: { tags, summary: 'Simulated users' } }, async () => ({ users: simulator.users().map(view) }));

  app.post<{ Body: { phone: string; name?: string } }>(
    '/sandbox/users',
    { schema: { tags, summary: 'Create a simulated contact', body: { type: 'object', required: ['phone'], additionalProperties: false, properties: { phone: { type: 'string', pattern: '^\\+?[0-9 ().-]{7,20}$' }, name: { type: 'string', maxLength: 100 } } } } },
    async (request, reply) => {
      try {
        return reply.status(201).send(view(simulator.createUser(request.body)));
      } catch (error) {
        throw new ApiError(409, 'sandbox_user_exists', (error as Error).message);
      }
    },
  );

  app.post<{ Body: { qr: string; phone: string } }>(
    '/sandbox/qr/scan',
    { schema: { tags, summary: 'Scan a linking QR code as the phone of `phone`', body: { type: 'object', required: ['qr', 'phone'], additionalProperties: false, properties: { qr: { type: 'string' }, phone: { type: 'string' } } } } },
    async (request) => {
      try {
        // "refreshed": WhatsApp retired this QR's secret; the client shows a new QR to scan
        return { scanned: true, result: simulator.scanQr(request.body.qr, request.body.phone) };
      } catch (error) {
        throw new ApiError(409, 'sandbox_scan_failed', (error as Error).message, { field: 'qr' });
      }
    },
  );

  app.post<{ Body: { phone: string; code: string } }>(
    '/sandbox/pairing-code',
    { schema: { tags, summary: 'Enter a pairing code on the phone of `phone`', body: { type: 'object', required: ['phone', 'code'], additionalProperties: false, properties: { phone: { type: 'string' }, code: { type: 'string', pattern: '^[A-Za-z0-9]{8}$' } } } } },
    async (request) => {
      await simulator.enterPairingCode(request.body.phone, request.body.code, 2000).catch((error: Error) => {
        throw new ApiError(409, 'sandbox_pairing_failed', error.message);
      });
      return { entered: true };
    },
  );

  app.post<{ Params: { phone: string }; Body: SendBody }>(
    '/sandbox/users/:phone/messages',
    {
      schema: {
        tags,
        summary: 'Make a simulated user send a message (to a user or a group)',
        params: phoneParams,
        body: {
          type: 'object',
          required: ['to', 'type'],
          properties: {
            to: { type: 'string' },
            type: { type: 'string', enum: ['text', 'reply', 'reaction', 'edit', 'delete', 'location', 'contact', 'poll', 'image', 'video', 'audio', 'voice', 'document', 'sticker'] },
            text: { type: 'string' },
            messageId: { type: 'string' },
            fromMe: { type: 'boolean' },
            quotedText: { type: 'string' },
            emoji: { type: 'string' },
            latitude: { type: 'number', minimum: -90, maximum: 90 },
            longitude: { type: 'number', minimum: -180, maximum: 180 },
            name: { type: 'string' },
            address: { type: 'string' },
            contactName: { type: 'string' },
            contactPhone: { type: 'string' },
            options: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 12 },
            selectableCount: { type: 'integer', minimum: 0 },
            base64: { type: 'string' },
            mimetype: { type: 'string' },
            fileName: { type: 'string' },
            caption: { type: 'string' },
            seconds: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    async (request) => {
      const sender = userOr404(request.params.phone);
      const body = request.body;
      const isGroup = body.to.endsWith('@g.us');
      const chatJid = isGroup ? body.to : userOr404(body.to).pnJid;
      const message = await toMessage(simulator, body, isGroup ? chatJid : userOr404(body.to).pnJid);
      const id = isGroup ? await simulator.sendGroupMessage(sender.pn, chatJid, message) : await simulator.sendMessage(sender.pn, body.to, message);
      return { id };
    },
  );

  app.post<{ Params: { phone: string }; Body: { pollMessageId: string; options: string[] } }>(
    '/sandbox/users/:phone/votes',
    {
      schema: {
        tags,
        summary: 'Make a simulated user vote on a poll it received (empty options withdraw the vote)',
        params: phoneParams,
        body: { type: 'object', required: ['pollMessageId', 'options'], additionalProperties: false, properties: { pollMessageId: { type: 'string', minLength: 1 }, options: { type: 'array', items: { type: 'string' }, maxItems: 12 } } },
      },
    },
    async (request) => {
      const voter = userOr404(request.params.phone);
      const poll = voter.received.find((m) => m.id === request.body.pollMessageId);
      const creation = poll && (poll.message.pollCreationMessageV3 ?? poll.message.pollCreationMessageV2 ?? poll.message.pollCreationMessage);
      if (!creation) throw new ApiError(404, 'poll_not_found', `${voter.pn} received no poll "${request.body.pollMessageId}"`, { field: 'pollMessageId' });
      const known = new Set((creation.options ?? []).map((o) => o.optionName));
      const unknown = request.body.options.filter((o) => !known.has(o));
      if (unknown.length) throw new ApiError(400, 'validation_failed', `Not options of this poll: ${unknown.join(', ')}`, { field: 'options' });
      return { id: await simulator.votePoll(voter.pn, request.body.pollMessageId, request.body.options) };
    },
  );

  app.post<{ Params: { phone: string }; Body: { to: string; count: number; perSecond: number; text?: string } }>(
    '/sandbox/users/:phone/messages/series',
    {
      schema: {
        tags,
        summary: 'Make a simulated user send `count` texts at `perSecond` (load tests); answers once all are sent',
        params: phoneParams,
        body: { type: 'object', required: ['to', 'count', 'perSecond'], additionalProperties: false, properties: { to: { type: 'string' }, count: { type: 'integer', minimum: 1, maximum: 100_000 }, perSecond: { type: 'number', minimum: 0.1, maximum: 10_000 }, text: { type: 'string' } } },
      },
    },
    async (request) => {
      const sender = userOr404(request.params.phone);
      const target = userOr404(request.body.to);
      const { count, perSecond, text = 'message' } = request.body;
      const started = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const due = started + (i * 1000) / perSecond;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        ids.push(await simulator.sendMessage(sender.pn, target.pn, buildMessage.text(`${text} ${i}`)));
      }
      return { ids, seconds: (Date.now() - started) / 1000 };
    },
  );

  app.get<{ Params: { phone: string } }>('/sandbox/users/:phone/received', { schema: { tags, summary: 'What a simulated user received, decrypted', params: phoneParams } }, async (request) => ({
    messages: userOr404(request.params.phone).received.map((m) => ({ id: m.id, from: m.from, chat: m.chat, timestamp: m.timestamp, text: m.text, message: m.message })),
  }));

  app.post<{ Params: { phone: string }; Body: { to: string; messageIds: string[]; type?: 'read' | 'played' } }>(
    '/sandbox/users/:phone/read',
    { schema: { tags, summary: 'Send read (or played) receipts for messages `to` sent', params: phoneParams, body: { type: 'object', required: ['to', 'messageIds'], additionalProperties: false, properties: { to: { type: 'string' }, messageIds: { type: 'array', items: { type: 'string' }, minItems: 1 }, type: { type: 'string', enum: ['read', 'played'] } } } } },
    async (request) => {
      userOr404(request.params.phone);
      userOr404(request.body.to);
      simulator.markRead(request.params.phone, request.body.to, request.body.messageIds, request.body.type);
      return { sent: request.body.messageIds.length };
    },
  );

  app.post<{ Params: { phone: string }; Body: { kind: 'restart' | 'logout' | 'replaced' | 'drop' } }>(
    '/sandbox/users/:phone/disconnect',
    { schema: { tags, summary: 'Force a disconnect of every linked device of the user', params: phoneParams, body: { type: 'object', required: ['kind'], additionalProperties: false, properties: { kind: { type: 'string', enum: ['restart', 'logout', 'replaced', 'drop'] } } } } },
    async (request) => {
      userOr404(request.params.phone);
      simulator.disconnect(request.params.phone, request.body.kind);
      return { disconnected: true };
    },
  );

  app.post<{ Params: { phone: string }; Body: { online: boolean } }>(
    '/sandbox/users/:phone/online',
    { schema: { tags, summary: "Take the user's linked devices off the network or back", params: phoneParams, body: { type: 'object', required: ['online'], additionalProperties: false, properties: { online: { type: 'boolean' } } } } },
    async (request) => {
      userOr404(request.params.phone);
      simulator.setOnline(request.params.phone, request.body.online);
      return { online: request.body.online };
    },
  );

  app.get('/sandbox/groups', { schema: { tags, summary: 'Simulated groups' } }, async () => ({
    groups: simulator.groups.all().map((g) => ({ id: `${g.id}@g.us`, subject: g.subject, participants: [...g.participants.entries()].map(([u, role]) => ({ phone: u.pn, role })) })),
  }));

  app.post<{ Body: { creator: string; subject: string; members: string[] } }>(
    '/sandbox/groups',
    { schema: { tags, summary: 'A simulated user creates a group', body: { type: 'object', required: ['creator', 'subject', 'members'], additionalProperties: false, properties: { creator: { type: 'string' }, subject: { type: 'string', minLength: 1, maxLength: 100 }, members: { type: 'array', items: { type: 'string' }, minItems: 1 } } } } },
    async (request, reply) => {
      const group = simulator.groups.create(userOr404(request.body.creator), request.body.subject, request.body.members.map(userOr404));
      return reply.status(201).send({ id: `${group.id}@g.us`, subject: group.subject });
    },
  );
};

async function toMessage(simulator: Simulator, body: SendBody, remoteJid: string): Promise<ProtoMessage> {
  const need = <K extends keyof SendBody>(field: K): NonNullable<SendBody[K]> => {
    if (body[field] === undefined || body[field] === '') throw new ApiError(400, 'validation_failed', `"${field}" is required for a ${body.type} message`, { field });
    return body[field] as NonNullable<SendBody[K]>;
  };
  const ref = () => ({ remoteJid, id: need('messageId'), fromMe: body.fromMe ?? false });
  switch (body.type) {
    case 'text':
      return buildMessage.text(need('text'));
    case 'reply':
      return buildMessage.reply(need('text'), { ...ref(), message: { conversation: body.quotedText ?? '' } });
    case 'reaction':
      return buildMessage.reaction(ref(), body.emoji ?? '');
    case 'edit':
      return buildMessage.edit(ref(), need('text'));
    case 'delete':
      return buildMessage.revoke(ref());
    case 'location':
      return buildMessage.location(need('latitude'), need('longitude'), body.name, body.address);
    case 'contact':
      return buildMessage.contactCard(need('contactName'), need('contactPhone'));
    case 'poll':
      return buildMessage.poll(need('name'), need('options'), body.selectableCount ?? 1);
    default: {
      const data = Buffer.from(need('base64'), 'base64');
      if (!data.length) throw new ApiError(400, 'validation_failed', '"base64" is empty', { field: 'base64' });
      return simulator.uploadMedia({ kind: body.type, data, mimetype: need('mimetype'), caption: body.caption, fileName: body.fileName, seconds: body.seconds });
    }
  }
}
