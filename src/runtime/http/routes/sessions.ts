/**
 * http/routes/sessions: create, list, get, start, stop, restart, logout and delete sessions; the QR code (PNG, SVG,
 * raw string) and pairing codes.
 */
import type { FastifyPluginAsync } from 'fastify';
import QRCode from 'qrcode';
import { ApiError } from '../../errors';
import { errorBodySchema } from '../errors';
import type { SessionManager } from '../../sessions/manager';
import type { SessionView } from '../../sessions/types';
import { normalisePhoneNumber } from '../../messages/recipients';
import { PairingRejectedError } from '../../whatsapp/pairing';
import { assertSessionVisible, routePermissions, visibleSessions } from '../access';

const sessionView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['stopped', 'starting', 'qr', 'pairing_code', 'connected', 'reconnecting', 'logged_out', 'conflict', 'failed'] },
    reason: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' } } },
    me: { type: 'object', properties: { id: { type: 'string' }, lid: { type: 'string' }, phoneNumber: { type: 'string' }, name: { type: 'string' } } },
    hasQr: { type: 'boolean' },
    undecryptableMessages: { type: 'integer', description: 'messages that could not be decrypted since the runtime started (message.undecryptable)' },
    settings: { type: 'object', properties: { rejectCalls: { type: 'boolean' }, rejectCallsMessage: { type: 'string' } } },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
const errors = { 400: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema };

export interface SessionRouteOptions {
  sessions: SessionManager;
  /** Cluster mode: the views of sessions that run on other runtimes, as their owners published them. */
  remoteViews?(ids: string[]): Promise<Map<string, SessionView>>;
}

export const sessionRoutes: FastifyPluginAsync<SessionRouteOptions> = async (app, { sessions, remoteViews }) => {
  routePermissions(app, 'manage');
  app.get('/sessions', { schema: { tags: ['sessions'], summary: 'List the sessions this key may see', response: { 200: { type: 'object', properties: { sessions: { type: 'array', items: sessionView } } } } } }, async (request) => {
    const visible = visibleSessions(request.apiKey, sessions.list());
    const remote = (await remoteViews?.(visible.map((s) => s.id))) ?? new Map<string, SessionView>();
    return { sessions: visible.map((s) => remote.get(s.id) ?? s.view()) };
  });

  app.post<{ Body: { id: string; start?: boolean } }>(
    '/sessions',
    {
      config: { audit: 'session.created' },
      schema: {
        tags: ['sessions'],
        summary: 'Create a session (idempotent) and start it',
        body: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, start: { type: 'boolean', default: true } } },
        response: { 200: sessionView, 201: sessionView, ...errors },
      },
    },
    async (request, reply) => {
      assertSessionVisible(request.apiKey, request.body.id);
      request.audited = { target: { type: 'session', id: request.body.id } };
      const { session, created } = await sessions.create(request.body.id);
      if (request.body.start !== false && !session.isRunning && !session.isTerminal()) await session.start();
      return reply.status(created ? 201 : 200).send(session.view());
    },
  );

  app.get<{ Params: { id: string } }>('/sessions/:id', { schema: { tags: ['sessions'], summary: 'Get a session', params: idParams, response: { 200: sessionView, ...errors } } }, async (request) => sessions.get(request.params.id).view());

  app.patch<{ Params: { id: string }; Body: { settings: { rejectCalls?: boolean; rejectCallsMessage?: string } } }>(
    '/sessions/:id',
    {
      config: { audit: 'session.settings_changed' },
      schema: {
        tags: ['sessions'],
        summary: "Change a session's settings (automatic call rejection)",
        params: idParams,
        body: {
          type: 'object',
          required: ['settings'],
          additionalProperties: false,
          properties: {
            settings: {
              type: 'object',
              additionalProperties: false,
              minProperties: 1,
              properties: { rejectCalls: { type: 'boolean' }, rejectCallsMessage: { type: 'string', maxLength: 4096 } },
            },
          },
        },
        response: { 200: sessionView, ...errors },
      },
    },
    async (request) => {
      const session = sessions.get(request.params.id);
      await session.updateSettings(request.body.settings);
      return session.view();
    },
  );

  app.delete<{ Params: { id: string } }>('/sessions/:id', { config: { audit: 'session.deleted' }, schema: { tags: ['sessions'], summary: 'Stop a session and delete its stored data', params: idParams, response: { 204: { type: 'null' }, ...errors } } }, async (request, reply) => {
    await sessions.delete(request.params.id);
    return reply.status(204).send();
  });

  const audited = { start: 'session.started', stop: 'session.stopped', restart: 'session.restarted', logout: 'session.logged_out' } as const;
  for (const action of ['start', 'stop', 'restart', 'logout'] as const) {
    app.post<{ Params: { id: string } }>(`/sessions/:id/${action}`, { config: { audit: audited[action] }, schema: { tags: ['sessions'], summary: `${action[0].toUpperCase()}${action.slice(1)} a session`, params: idParams, response: { 200: sessionView, ...errors } } }, async (request) => {
      const session = sessions.get(request.params.id);
      await session[action]();
      return session.view();
    });
  }

  app.get<{ Params: { id: string }; Querystring: { format: 'png' | 'svg' | 'raw' | 'json'; wait: number } }>(
    '/sessions/:id/qr',
    {
      // the QR links a phone to this runtime: a lifecycle step, not a read
      config: { permission: 'manage' },
      schema: {
        tags: ['sessions'],
        summary: 'The current QR code to link the number (waits for the first one)',
        params: idParams,
        querystring: { type: 'object', properties: { format: { type: 'string', enum: ['png', 'svg', 'raw', 'json'], default: 'png' }, wait: { type: 'integer', minimum: 0, maximum: 60, default: 20 } } },
        response: { ...errors },
      },
    },
    async (request, reply) => {
      const session = sessions.get(request.params.id);
      if (session.status === 'connected') throw new ApiError(409, 'session_already_linked', `Session "${session.id}" is already linked to +${session.me?.phoneNumber}`);
      if (!session.isRunning) throw new ApiError(409, 'session_not_running', `Session "${session.id}" is ${session.status}: start it to get a QR code`);
      await session.waitForQr(request.query.wait * 1000);
      if (!session.qr) throw new ApiError(409, 'qr_not_available', `Session "${session.id}" has no QR code right now (status: ${session.status})`);
      switch (request.query.format) {
        case 'raw':
          return reply.type('text/plain').send(session.qr);
        case 'json':
          return { qr: session.qr };
        case 'svg':
          return reply.type('image/svg+xml').send(await QRCode.toString(session.qr, { type: 'svg', margin: 2 }));
        default:
          return reply.type('image/png').send(await QRCode.toBuffer(session.qr, { type: 'png', margin: 2, width: 320 }));
      }
    },
  );

  app.post<{ Params: { id: string }; Body: { phoneNumber: string } }>(
    '/sessions/:id/pairing-code',
    {
      config: { audit: 'session.pairing_code_requested' },
      schema: {
        tags: ['sessions'],
        summary: 'Link the number by typing a code on the phone instead of scanning a QR code',
        params: idParams,
        body: { type: 'object', required: ['phoneNumber'], additionalProperties: false, properties: { phoneNumber: { type: 'string', minLength: 1 } } },
        response: { 200: { type: 'object', properties: { code: { type: 'string' }, phoneNumber: { type: 'string' } } }, ...errors, 422: errorBodySchema },
      },
    },
    async (request) => {
      const session = sessions.get(request.params.id);
      const digits = normalisePhoneNumber(request.body.phoneNumber);
      if (!digits || !/^[0-9]{7,15}$/.test(digits)) throw new ApiError(400, 'invalid_phone_number', `"${request.body.phoneNumber}" is not a phone number with country code`, { field: 'phoneNumber' });
      if (session.status === 'connected') throw new ApiError(409, 'session_already_linked', `Session "${session.id}" is already linked to +${session.me?.phoneNumber}`);
      if (session.isTerminal()) await session.restart();
      const code = await session.requestPairingCode(digits).catch((error: Error) => {
        if (error instanceof PairingRejectedError) {
          throw new ApiError(422, 'pairing_rejected', `${error.message}. WhatsApp accepts only a standard platform display such as "Chrome (Windows)" (WA_PAIRING_PLATFORM_DISPLAY)`, { whatsappCode: error.code, whatsappText: error.text });
        }
        throw new ApiError(409, 'pairing_code_failed', `Could not request a pairing code: ${error.message}`);
      });
      return { code, phoneNumber: digits };
    },
  );
};
