/**
 * http/routes/outbound: the send queue and campaigns of a session. Queue status (depth per lane, next send time,
 * caps used, limits in force), queued sends (list, cancel), resuming after a limit, pacing settings; campaigns
 * (create, list, get, recipients, pause, resume, cancel).
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors';
import type { SessionManager } from '../../sessions/manager';
import type { IdempotencyStore } from '../../messages/idempotency';
import { fromJson, ANY_TYPE, AUDIO_TYPES, IMAGE_TYPES, VIDEO_TYPES, VOICE_TYPES, type MediaLimits } from '../../messages/media-input';
import type { OutboundQueue, Lane } from '../../outbound/queue';
import { pacingOf, type PacingSettings } from '../../outbound/pacing';
import { RECIPIENT_STATUSES, type CampaignInput, type CampaignKind, type CampaignManager, type RecipientStatus } from '../../outbound/campaigns';
import { errorResponses, idempotent, idParams } from './common';
import { routePermissions } from '../access';
import type { ContactLists } from '../../audiences/lists';

export interface OutboundRouteOptions {
  sessions: SessionManager;
  outbound: OutboundQueue;
  campaigns: CampaignManager;
  idempotency: IdempotencyStore;
  mediaLimits: MediaLimits;
  lists?: ContactLists;
}

const cap = { type: 'integer', minimum: 1, nullable: true, description: 'null: no cap' } as const;
const pacingSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    minGapMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
    maxGapMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
    perMinute: cap,
    perHour: cap,
    perDay: cap,
    firstContactsPerDay: cap,
    typing: { type: 'boolean' },
    typingMsPerChar: { type: 'integer', minimum: 0, maximum: 1000 },
    typingMaxMs: { type: 'integer', minimum: 0, maximum: 60_000 },
    restrictedPauseMs: { type: 'integer', minimum: 0, maximum: 7 * 86_400_000 },
  },
} as const;

const campaignParams = { type: 'object', required: ['id', 'campaignId'], properties: { id: { type: 'string' }, campaignId: { type: 'string' } } } as const;
const MEDIA_TYPES: Record<Exclude<CampaignKind, 'text'>, string[]> = { image: IMAGE_TYPES, video: VIDEO_TYPES, document: ANY_TYPE, audio: AUDIO_TYPES, voice: VOICE_TYPES };

type CampaignBody = {
  name?: string;
  template: CampaignInput['template'] & { media?: { base64?: string; url?: string; mimetype?: string; fileName?: string } };
  recipients?: CampaignInput['recipients'];
  list?: { id: string; tag?: string; field?: { name: string; value: string } };
  sendAt?: string;
};

export const outboundRoutes: FastifyPluginAsync<OutboundRouteOptions> = async (app, { sessions, outbound, campaigns, idempotency, mediaLimits, lists }) => {
  routePermissions(app, 'send');
  const tags = ['outbound'];

  /** A list's matching members, streamed, as recipients with their name and fields as variables. */
  async function listMembers(session: string, target: NonNullable<CampaignBody['list']>): Promise<NonNullable<CampaignInput['members']>> {
    if (!lists) throw new ApiError(404, 'list_not_found', `No contact list "${target.id}"`, { field: 'list.id' });
    const list = await lists.get(session, target.id);
    async function* contacts() {
      for await (const contact of lists!.matching(list, { tag: target.tag, field: target.field })) {
        const fields = Object.fromEntries(Object.entries(contact.fields).map(([field, value]) => [`fields.${field}`, value]));
        yield { to: contact.phone, variables: { ...(contact.name && { name: contact.name }), ...fields } };
      }
    }
    return { audience: { listId: list.id, listName: list.name, ...(target.tag && { tag: target.tag }), ...(target.field && { field: target.field }) }, contacts: contacts() };
  }

  app.get<{ Params: { id: string } }>(
    '/sessions/:id/outbound',
    { schema: { tags, summary: 'Send queue status: depth per lane, next send, caps used, limits in force, pacing', params: idParams, response: errorResponses } },
    async (request) => {
      sessions.get(request.params.id);
      return outbound.status(request.params.id);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { lane?: Lane; limit?: number } }>(
    '/sessions/:id/outbound/queue',
    {
      schema: {
        tags,
        summary: 'Queued sends, next first',
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { lane: { type: 'string', enum: ['interactive', 'bulk'] }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
        response: errorResponses,
      },
    },
    async (request) => {
      sessions.get(request.params.id);
      const items = await outbound.list(request.params.id, request.query.lane);
      return {
        total: items.length,
        items: items.slice(0, request.query.limit ?? 100).map((item) => ({
          id: item.id,
          lane: item.lane,
          kind: item.request.kind,
          to: item.request.body.to,
          sendAt: item.sendAt ? new Date(item.sendAt).toISOString() : null,
          createdAt: new Date(item.createdAt).toISOString(),
          attempts: item.attempts,
          ...(item.lastError && { lastError: item.lastError }),
          ...(item.campaignId && { campaignId: item.campaignId }),
        })),
      };
    },
  );

  app.delete<{ Params: { id: string; messageId: string } }>(
    '/sessions/:id/outbound/queue/:messageId',
    { schema: { tags, summary: 'Cancel a queued send', params: { type: 'object', required: ['id', 'messageId'], properties: { id: { type: 'string' }, messageId: { type: 'string' } } }, response: errorResponses } },
    async (request, reply) => {
      sessions.get(request.params.id);
      const removed = await outbound.remove(request.params.id, (item) => item.id === request.params.messageId);
      if (!removed.length) throw new ApiError(404, 'queued_send_not_found', `No queued send "${request.params.messageId}" (already sent, or never queued)`);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { id: string } }>(
    '/sessions/:id/outbound/resume',
    { schema: { tags, summary: 'Resume the bulk lane now, lifting every limit in force', params: idParams, response: errorResponses } },
    async (request) => {
      sessions.get(request.params.id);
      const lifted = await outbound.resume(request.params.id);
      return { resumed: lifted, status: await outbound.status(request.params.id) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/sessions/:id/outbound/settings',
    { schema: { tags, summary: 'Pacing settings in force (defaults merged with the session\'s own)', params: idParams, response: errorResponses } },
    async (request) => pacingOf(sessions.get(request.params.id).settings.outbound),
  );

  app.patch<{ Params: { id: string }; Body: Partial<PacingSettings> }>(
    '/sessions/:id/outbound/settings',
    { config: { permission: 'manage', audit: 'outbound.settings_changed' }, schema: { tags, summary: 'Change pacing settings (only the given fields)', params: idParams, body: pacingSchema, response: errorResponses } },
    async (request) => {
      const session = sessions.get(request.params.id);
      const next = { ...pacingOf(session.settings.outbound), ...request.body };
      if (next.maxGapMs < next.minGapMs) throw new ApiError(400, 'validation_failed', 'maxGapMs must not be below minGapMs', { field: 'maxGapMs' });
      await session.updateSettings({ outbound: { ...session.settings.outbound, ...request.body } });
      await outbound.applySettings(session.id);
      return next;
    },
  );

  app.post<{ Params: { id: string }; Body: CampaignBody }>(
    '/sessions/:id/campaigns',
    {
      config: { audit: 'campaign.created' },
      schema: {
        tags: ['campaigns'],
        summary: 'Create a campaign: one template, many recipients, sent through the bulk lane',
        description:
          'Placeholders `{{name}}` in the text (or caption) are filled from each recipient\'s `variables` (`{{phone}}` is the checked number). Numbers are checked on WhatsApp first: invalid, duplicate or incomplete recipients are skipped and listed in `skipped`.',
        params: idParams,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string' } } },
        body: {
          type: 'object',
          required: ['template'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', maxLength: 200 },
            sendAt: { type: 'string', format: 'date-time' },
            list: {
              type: 'object',
              required: ['id'],
              additionalProperties: false,
              description: 'Send to the members of a contact list (optionally only those with a tag or a field value); placeholders take `{{name}}`, `{{phone}}` and `{{fields.<field>}}` from each contact',
              properties: {
                id: { type: 'string', minLength: 1 },
                tag: { type: 'string', minLength: 1 },
                field: { type: 'object', required: ['name', 'value'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1 }, value: { type: 'string' } } },
              },
            },
            template: {
              type: 'object',
              required: ['kind'],
              additionalProperties: false,
              properties: {
                kind: { type: 'string', enum: ['text', 'image', 'video', 'document', 'audio', 'voice'] },
                text: { type: 'string', minLength: 1, maxLength: 65536 },
                caption: { type: 'string', maxLength: 4096 },
                fileName: { type: 'string', maxLength: 255 },
                linkPreview: { type: 'boolean' },
                media: { type: 'object', additionalProperties: false, properties: { base64: { type: 'string' }, url: { type: 'string' }, mimetype: { type: 'string' }, fileName: { type: 'string' } } },
              },
            },
            recipients: {
              type: 'array',
              minItems: 1,
              maxItems: 10_000,
              items: {
                type: 'object',
                required: ['to'],
                additionalProperties: false,
                properties: {
                  to: { type: 'string', minLength: 1 },
                  variables: { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } },
                  text: { type: 'string', minLength: 1, maxLength: 65536, description: 'This recipient\'s own text instead of the template\'s' },
                },
              },
            },
          },
        },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const sessionId = request.params.id;
      sessions.get(sessionId);
      const { template, name, sendAt, list: target } = request.body;
      if (!target && !request.body.recipients) throw new ApiError(400, 'validation_failed', 'Give "recipients", a "list", or both', { field: 'recipients' });
      const recipients = request.body.recipients ?? [];
      const members = target ? await listMembers(sessionId, target) : undefined;
      const { media, ...rest } = template;
      if (rest.kind === 'text' && !rest.text && (members || recipients.some((r) => !r.text))) throw new ApiError(400, 'validation_failed', 'A text campaign needs template.text (or a text for every recipient)', { field: 'template.text' });
      if (rest.kind !== 'text' && !media) throw new ApiError(400, 'validation_failed', `A ${rest.kind} campaign needs template.media ({base64} or {url})`, { field: 'template.media' });
      if (rest.kind === 'text' && media) throw new ApiError(400, 'validation_failed', 'A text campaign has no media', { field: 'template.media' });
      // a campaign's message ids are its recipients', chosen when it is created: the key needs none of its own
      const result = await idempotent(idempotency, request, reply, sessionId, { body: request.body }, () => '', async () => {
        const input = media && (await fromJson(media, undefined, MEDIA_TYPES[rest.kind as Exclude<CampaignKind, 'text'>], mediaLimits, 'template.media'));
        const created = await campaigns.create(sessionId, {
          ...(name && { name }),
          template: { ...rest, ...(media?.fileName && !rest.fileName && { fileName: media.fileName }) },
          ...(input && { media: input }),
          recipients,
          ...(members && { members }),
          ...(sendAt && { sendAt: Date.parse(sendAt) }),
        });
        return { campaign: created.campaign, skipped: created.skipped.map((r) => ({ index: r.index, to: r.to, reason: r.reason })) };
      });
      request.audited = { target: { type: 'campaign', id: result.campaign.id }, details: { recipients: result.campaign.total } };
      return reply.status(201).send(result);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/sessions/:id/campaigns',
    { schema: { tags: ['campaigns'], summary: 'Campaigns of the session, newest first', params: idParams, response: errorResponses } },
    async (request) => {
      sessions.get(request.params.id);
      return { campaigns: campaigns.list(request.params.id) };
    },
  );

  app.get<{ Params: { id: string; campaignId: string } }>(
    '/sessions/:id/campaigns/:campaignId',
    { schema: { tags: ['campaigns'], summary: 'A campaign with its progress counts', params: campaignParams, response: errorResponses } },
    async (request) => campaigns.view(campaigns.get(request.params.id, request.params.campaignId)),
  );

  app.get<{ Params: { id: string; campaignId: string }; Querystring: { status?: RecipientStatus; offset?: number; limit?: number } }>(
    '/sessions/:id/campaigns/:campaignId/recipients',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Recipients of a campaign with their status',
        params: campaignParams,
        querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: RECIPIENT_STATUSES }, offset: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
        response: errorResponses,
      },
    },
    async (request) => {
      const { status, offset = 0, limit = 100 } = request.query;
      return campaigns.recipientsOf(request.params.id, request.params.campaignId, { ...(status && { status }), offset, limit });
    },
  );

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post<{ Params: { id: string; campaignId: string } }>(
      `/sessions/:id/campaigns/:campaignId/${action}`,
      { config: { audit: { pause: 'campaign.paused', resume: 'campaign.resumed', cancel: 'campaign.cancelled' }[action] }, schema: { tags: ['campaigns'], summary: `${action[0].toUpperCase()}${action.slice(1)} a campaign`, params: campaignParams, response: errorResponses } },
      async (request) => campaigns[action](request.params.id, request.params.campaignId),
    );
  }
};
