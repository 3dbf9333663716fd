/**
 * http/routes/profile: the linked account's own profile (push name, about text, picture) and calls (reject).
 */
import type { FastifyPluginAsync } from 'fastify';
import sharp from 'sharp';
import { ApiError } from '../../errors';
import type { SessionManager } from '../../sessions/manager';
import { readMediaRequest } from '../../messages/content';
import { IMAGE_TYPES, checked, type MediaLimits } from '../../messages/media-input';
import type { Baileys } from '../../whatsapp/baileys';
import { errorResponses, idParams } from './common';
import { whatsapp } from '../../whatsapp/errors';
import { routePermissions } from '../access';

export interface ProfileRouteOptions {
  b: Baileys;
  sessions: SessionManager;
  mediaLimits: MediaLimits;
}

export const profileRoutes: FastifyPluginAsync<ProfileRouteOptions> = async (app, { b, sessions, mediaLimits }) => {
  routePermissions(app, 'manage');
  app.get<{ Params: { id: string } }>(
    '/sessions/:id/profile',
    { schema: { tags: ['profile'], summary: 'The account\'s name, number, about text and picture URL', params: idParams, response: { ...errorResponses } } },
    async (request) => {
      const { session, sock } = sessions.connected(request.params.id);
      const id = session.me!.id;
      const [status, picture] = await Promise.all([sock.fetchStatus(id).catch(() => undefined), sock.profilePictureUrl(id, 'image').catch(() => undefined)]);
      const about = (status?.[0] as { status?: { status?: string } } | undefined)?.status?.status;
      return { id, phoneNumber: session.me!.phoneNumber, name: sock.authState.creds.me?.name ?? null, about: about ?? null, pictureUrl: picture ?? null };
    },
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; about?: string } }>(
    '/sessions/:id/profile',
    {
      config: { audit: 'profile.changed' },
      schema: {
        tags: ['profile'],
        summary: 'Change the push name or the about text',
        params: idParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name: { type: 'string', minLength: 1, maxLength: 25 }, about: { type: 'string', maxLength: 139 } } },
        response: { ...errorResponses },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const { name, about } = request.body;
      if (name !== undefined) await whatsapp('change the name', () => sock.updateProfileName(name));
      if (about !== undefined) await whatsapp('change the about text', () => sock.updateProfileStatus(about));
      return { ...(name !== undefined && { name }), ...(about !== undefined && { about }) };
    },
  );

  app.put<{ Params: { id: string } }>(
    '/sessions/:id/profile/picture',
    {
      config: { audit: 'profile.picture_changed' },
      schema: {
        tags: ['profile'],
        summary: 'Set the profile picture (JPEG, PNG or WebP; cropped to a square)',
        description: 'JSON `{media: {base64 | url}}` or multipart/form-data with one file part.',
        params: idParams,
        response: { 200: { type: 'object', properties: { updated: { type: 'boolean' } } }, ...errorResponses },
      },
    },
    async (request) => {
      const { session, sock } = sessions.connected(request.params.id);
      const input = await readPicture(request, mediaLimits);
      await whatsapp('set the profile picture', () => sock.updateProfilePicture(session.me!.id, input));
      return { updated: true };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/sessions/:id/profile/picture',
    { config: { audit: 'profile.picture_removed' }, schema: { tags: ['profile'], summary: 'Remove the profile picture', params: idParams, response: { 200: { type: 'object', properties: { updated: { type: 'boolean' } } }, ...errorResponses } } },
    async (request) => {
      const { session, sock } = sessions.connected(request.params.id);
      await whatsapp('remove the profile picture', () => sock.removeProfilePicture(session.me!.id));
      return { updated: true };
    },
  );

  app.post<{ Params: { id: string; callId: string }; Body: { from: string } }>(
    '/sessions/:id/calls/:callId/reject',
    {
      config: { permission: 'send' },
      schema: {
        tags: ['calls'],
        summary: 'Reject an incoming call',
        description: 'Use the `callId` and `from` of the `call.received` event.',
        params: { type: 'object', required: ['id', 'callId'], properties: { id: { type: 'string' }, callId: { type: 'string', minLength: 1 } } },
        body: { type: 'object', required: ['from'], additionalProperties: false, properties: { from: { type: 'string', minLength: 1, description: 'The caller JID from the call.received event' } } },
        response: { 200: { type: 'object', properties: { callId: { type: 'string' }, rejected: { type: 'boolean' } } }, ...errorResponses },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      if (!/@(s\.whatsapp\.net|lid)$/.test(request.body.from)) throw new ApiError(400, 'validation_failed', '"from" must be the caller JID of the call.received event', { field: 'from' });
      await whatsapp('reject the call', () => sock.rejectCall(request.params.callId, b.jidNormalizedUser(request.body.from)));
      return { callId: request.params.callId, rejected: true };
    },
  );
};

async function readPicture(request: Parameters<typeof readMediaRequest>[0], limits: MediaLimits): Promise<Buffer> {
  const input = await readMediaRequest(request, 'image', limits, { recipient: false });
  const data = checked(input.media, IMAGE_TYPES, limits, 'media').data;
  // a picture that does not decode is the client's mistake, said plainly (not libvips' internals as a 502)
  await sharp(data).stats().catch(() => {
    throw new ApiError(422, 'invalid_image', 'The picture could not be decoded as an image (corrupt or truncated file)', { field: 'media' });
  });
  return data;
}
