/**
 * http/routes/contacts: people. Check numbers on WhatsApp (batch, cached), a contact's picture, about text and
 * business profile, block and unblock, and the blocklist.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors';
import type { SessionManager } from '../../sessions/manager';
import type { RecipientResolver } from '../../messages/recipients';
import type { Baileys } from '../../whatsapp/baileys';
import { errorResponses, idParams } from './common';
import { whatsapp, whatsappErrorCode } from '../../whatsapp/errors';
import { routePermissions } from '../access';

export interface ContactRouteOptions {
  /** Shared by every route, so a number checked once is cached for all of them. */
  recipients: RecipientResolver;
  b: Baileys;
  sessions: SessionManager;
}

const contactParams = { type: 'object', required: ['id', 'contact'], properties: { id: { type: 'string' }, contact: { type: 'string', description: 'Phone number, phone JID or LID' } } } as const;

export const contactRoutes: FastifyPluginAsync<ContactRouteOptions> = async (app, { b, sessions, recipients }) => {
  routePermissions(app, 'manage');

  async function contactJid(sessionId: string, contact: string) {
    const { session, sock } = sessions.connected(sessionId);
    if (contact.endsWith('@g.us')) throw new ApiError(400, 'invalid_contact', `"${contact}" is a group; use the group routes`, { field: 'contact' });
    return { session, sock, jid: await recipients.resolve(sock, contact, 'contact') };
  }

  app.post<{ Params: { id: string }; Body: { numbers: string[] } }>(
    '/sessions/:id/contacts/check',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['contacts'],
        summary: 'Check which phone numbers are on WhatsApp',
        params: idParams,
        body: { type: 'object', required: ['numbers'], additionalProperties: false, properties: { numbers: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', minLength: 1 } } } },
        response: {
          200: {
            type: 'object',
            properties: {
              results: {
                type: 'array',
                items: { type: 'object', properties: { input: { type: 'string' }, phoneNumber: { type: 'string' }, exists: { type: 'boolean' }, jid: { type: 'string' }, error: { type: 'string' } } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const results = await recipients.check(sock, request.body.numbers);
      return { results };
    },
  );

  app.get<{ Params: { id: string; contact: string } }>(
    '/sessions/:id/contacts/:contact',
    {
      schema: {
        tags: ['contacts'],
        summary: 'A contact: number, LID, about text, picture URL, and business profile when it is a business',
        params: contactParams,
        response: { ...errorResponses },
      },
    },
    async (request) => {
      const { sock, jid } = await contactJid(request.params.id, request.params.contact);
      const lid = b.isLidUser(jid) ? jid : await sock.signalRepository.lidMapping.getLIDForPN(jid).catch(() => null);
      const pn = b.isPnUser(jid) ? jid : await sock.signalRepository.lidMapping.getPNForLID(jid).catch(() => null);
      const [status, picture, business] = await Promise.all([
        whatsapp('fetch the about text', () => sock.fetchStatus(jid)),
        sock.profilePictureUrl(jid, 'image').catch(() => undefined),
        sock.getBusinessProfile(jid).catch(() => undefined),
      ]);
      const about = (status?.[0] as { status?: { status?: string; setAt?: Date } } | undefined)?.status;
      return {
        id: jid,
        ...(pn && { phoneNumber: b.jidDecode(pn)?.user }),
        ...(lid && { lid: b.jidNormalizedUser(lid) }),
        ...(about?.status !== undefined && { about: about.status, aboutSetAt: about.setAt }),
        pictureUrl: picture ?? null,
        isBusiness: !!business,
        ...(business && { business: { description: business.description, category: business.category, email: business.email, website: business.website, address: business.address } }),
      };
    },
  );

  app.get<{ Params: { id: string; contact: string }; Querystring: { size?: 'image' | 'preview' } }>(
    '/sessions/:id/contacts/:contact/picture',
    {
      schema: {
        tags: ['contacts'],
        summary: 'URL of a contact\'s (or group\'s) profile picture',
        params: contactParams,
        querystring: { type: 'object', additionalProperties: false, properties: { size: { type: 'string', enum: ['image', 'preview'], default: 'image' } } },
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, url: { type: 'string' } } }, ...errorResponses },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const jid = request.params.contact.endsWith('@g.us') ? request.params.contact : await recipients.resolve(sock, request.params.contact, 'contact');
      const url = await whatsapp('fetch the picture', () =>
        sock.profilePictureUrl(jid, request.query.size ?? 'image').catch((error: unknown) => {
          const code = whatsappErrorCode(error);
          if (code === 404 || code === 401) return undefined;
          throw error;
        }),
      );
      if (!url) throw new ApiError(404, 'no_picture', `${jid} has no profile picture, or hides it from this account`);
      return { id: jid, url };
    },
  );

  for (const action of ['block', 'unblock'] as const) {
    app.post<{ Params: { id: string; contact: string } }>(
      `/sessions/:id/contacts/:contact/${action}`,
      {
        schema: {
          tags: ['contacts'],
          summary: action === 'block' ? 'Block a contact' : 'Unblock a contact',
          params: contactParams,
          response: { 200: { type: 'object', properties: { id: { type: 'string' }, blocked: { type: 'boolean' } } }, ...errorResponses },
        },
      },
      async (request) => {
        const { sock, jid } = await contactJid(request.params.id, request.params.contact);
        await whatsapp(`${action} ${jid}`, () => sock.updateBlockStatus(jid, action));
        return { id: jid, blocked: action === 'block' };
      },
    );
  }

  app.get<{ Params: { id: string } }>(
    '/sessions/:id/blocklist',
    {
      schema: {
        tags: ['contacts'],
        summary: 'The contacts this account blocked',
        params: idParams,
        response: { 200: { type: 'object', properties: { blocked: { type: 'array', items: { type: 'string' } } } }, ...errorResponses },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const list = await whatsapp('fetch the blocklist', () => sock.fetchBlocklist());
      return { blocked: list.filter((jid): jid is string => !!jid) };
    },
  );
};
