/**
 * http/routes/webhooks: webhook subscriptions (idempotent create), their deliveries with every attempt, dead
 * letters and replays, and test events.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors';
import { errorBodySchema } from '../errors';
import type { Delivery } from '../../delivery';
import type { OutboxRecord } from '../../delivery/outbox';
import { matches, type Subscription } from '../../delivery/subscriptions';
import type { EventBus } from '../../events/bus';
import { EVENT_TYPES } from '../../events/schema';
import { assertSessionVisible, routePermissions } from '../access';
import { canSee } from '../../auth/api-keys';

const eventPattern = { type: 'string', pattern: `^(\\*|(${EVENT_TYPES.map((t) => t.replace('.', '\\.')).join('|')})|[a-z]+\\.\\*)$` };
const subscriptionBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    events: { type: 'array', items: eventPattern, maxItems: 50, description: 'Event types; `*` or `message.*` wildcards. Default: all.' },
    sessions: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, maxItems: 100, description: 'Sessions to deliver; empty: all.' },
    secret: { type: 'string', minLength: 16, maxLength: 256, description: 'Signing secret; generated when not given.' },
    headers: { type: 'object', additionalProperties: { type: 'string', maxLength: 4096 }, maxProperties: 20 },
    enabled: { type: 'boolean' },
    description: { type: 'string', maxLength: 500 },
  },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;
const errors = { 400: errorBodySchema, 404: errorBodySchema };
const tags = ['webhooks'];

export const webhookRoutes: FastifyPluginAsync<{ delivery: Delivery; bus: EventBus }> = async (app, { delivery }) => {
  routePermissions(app, 'manage', 'manage');
  const { subscriptions, dispatcher, outbox } = delivery;
  // a key over some sessions sees and makes only webhooks limited to those sessions (an empty filter means all)
  const visible = (request: FastifyRequest, s: Subscription): boolean => {
    const key = request.apiKey;
    return !key || key.sessions === '*' || (s.sessions.length > 0 && s.sessions.every((session) => canSee(key, session)));
  };
  const own = (request: FastifyRequest<{ Params: { id: string } }>): Subscription => {
    const subscription = subscriptions.get(request.params.id);
    if (!visible(request, subscription)) throw new ApiError(404, 'webhook_not_found', `Webhook subscription "${request.params.id}" does not exist`);
    return subscription;
  };
  const scopedSessions = (request: FastifyRequest, sessions: string[] | undefined): string[] | undefined => {
    const scope = request.apiKey?.sessions ?? '*';
    if (scope === '*') return sessions;
    for (const session of sessions ?? []) assertSessionVisible(request.apiKey, session);
    return sessions?.length ? sessions : scope;
  };
  const view = (s: Subscription, withSecret = false) => {
    const { secret, url, ...rest } = s;
    return { ...rest, url: masked(url), ...(withSecret && { secret }), backlog: dispatcher.backlog(s.id) };
  };

  app.post<{ Body: { url: string } & Partial<Subscription> }>(
    '/webhooks',
    { config: { audit: 'webhook.created' }, schema: { tags, summary: 'Subscribe a URL to events (the same URL and filter returns the existing subscription)', body: { ...subscriptionBody, required: ['url'] }, response: errors } },
    async (request, reply) => {
      const sessions = scopedSessions(request, request.body.sessions);
      const { subscription, created } = await subscriptions.create({ ...request.body, ...(sessions && { sessions }) });
      request.audited = { target: { type: 'webhook', id: subscription.id }, details: { created } };
      return reply.status(created ? 201 : 200).send({ ...view(subscription, created), created });
    },
  );

  app.get('/webhooks', { schema: { tags, summary: 'List webhook subscriptions' } }, async (request) => ({ webhooks: subscriptions.list().filter((s) => visible(request, s)).map((s) => view(s)) }));

  app.get<{ Params: { id: string } }>('/webhooks/:id', { schema: { tags, summary: 'Get a webhook subscription', params: idParams, response: errors } }, async (request) => view(own(request)));

  app.patch<{ Params: { id: string }; Body: Partial<Subscription> }>(
    '/webhooks/:id',
    { config: { audit: 'webhook.changed' }, schema: { tags, summary: 'Change a webhook subscription', params: idParams, body: { ...subscriptionBody, minProperties: 1 }, response: errors } },
    async (request) => {
      own(request);
      const sessions = request.body.sessions && scopedSessions(request, request.body.sessions);
      request.audited = { details: { fields: Object.keys(request.body).sort(), secretRotated: request.body.secret !== undefined } };
      const updated = await subscriptions.update(request.params.id, { ...request.body, ...(sessions && { sessions }) });
      if (updated.enabled) dispatcher.resume(updated.id);
      return view(updated, request.body.secret !== undefined);
    },
  );

  app.delete<{ Params: { id: string } }>('/webhooks/:id', { config: { audit: 'webhook.deleted' }, schema: { tags, summary: 'Delete a webhook subscription', params: idParams, response: errors } }, async (request, reply) => {
    own(request);
    await subscriptions.delete(request.params.id);
    dispatcher.forget(request.params.id);
    return reply.status(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { status?: 'pending' | 'delivered' | 'dead'; limit: number } }>(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'Deliveries of a subscription, newest first, with every attempt (status code, latency, error)',
        params: idParams,
        querystring: { type: 'object', properties: { status: { type: 'string', enum: ['pending', 'delivered', 'dead'] }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
        response: errors,
      },
    },
    async (request) => {
      own(request);
      return { deliveries: (await deliveriesOf(request.params.id, request.query.status)).slice(0, request.query.limit) };
    },
  );

  app.get<{ Params: { id: string } }>('/webhooks/:id/dead-letters', { schema: { tags, summary: 'Events given up after the retry budget', params: idParams, response: errors } }, async (request) => {
    own(request);
    return { deadLetters: await deliveriesOf(request.params.id, 'dead') };
  });

  app.post<{ Params: { id: string; eventId: string } }>(
    '/webhooks/:id/dead-letters/:eventId/replay',
    { config: { audit: 'webhook.replayed' }, schema: { tags, summary: 'Deliver one dead letter again', params: { type: 'object', required: ['id', 'eventId'], properties: { id: { type: 'string' }, eventId: { type: 'string' } } }, response: errors } },
    async (request, reply) => {
      own(request);
      const seq = outbox.seqOf(request.params.eventId);
      const record = seq === undefined ? undefined : await outbox.get(seq);
      if (!record || record.targets[request.params.id]?.status !== 'dead') throw new ApiError(404, 'dead_letter_not_found', `Event "${request.params.eventId}" is not a dead letter of this subscription`);
      await delivery.redeliver(record, request.params.id);
      return reply.status(202).send({ replayed: 1 });
    },
  );

  app.post<{ Params: { id: string } }>('/webhooks/:id/dead-letters/replay', { config: { audit: 'webhook.replayed' }, schema: { tags, summary: 'Deliver every dead letter again', params: idParams, response: errors } }, async (request, reply) => {
    own(request);
    const records = (await outbox.all()).filter((r) => r.targets[request.params.id]?.status === 'dead');
    for (const record of records) await delivery.redeliver(record, request.params.id);
    return reply.status(202).send({ replayed: records.length });
  });

  app.post<{ Params: { id: string }; Body: { since: string } }>(
    '/webhooks/:id/replay',
    {
      config: { audit: 'webhook.replayed' },
      schema: {
        tags,
        summary: 'Deliver again every retained event since a time that matches the subscription',
        params: idParams,
        body: { type: 'object', required: ['since'], additionalProperties: false, properties: { since: { type: 'string', format: 'date-time' } } },
        response: errors,
      },
    },
    async (request, reply) => {
      const subscription = own(request);
      const since = Date.parse(request.body.since);
      const records = (await outbox.all()).filter((r) => Date.parse(r.event.timestamp) >= since && r.event.type !== 'webhook.test' && matches(subscription, r.event));
      for (const record of records) await delivery.redeliver(record, subscription.id);
      return reply.status(202).send({ replayed: records.length });
    },
  );

  app.post<{ Params: { id: string } }>('/webhooks/:id/test', { schema: { tags, summary: 'Send a webhook.test event to this subscription only', params: idParams, response: errors } }, async (request, reply) => {
    const subscription = own(request);
    const event = { id: `evt_test_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, type: 'webhook.test' as const, session: '_runtime', timestamp: new Date().toISOString(), data: { message: 'This is a test event from the WhatsApp runtime.' } };
    await delivery.accept(event, subscription);
    return reply.status(202).send({ eventId: event.id });
  });

  async function deliveriesOf(subscriptionId: string, status?: 'pending' | 'delivered' | 'dead') {
    return (await outbox.all())
      .filter((r: OutboxRecord) => r.targets[subscriptionId] && (!status || r.targets[subscriptionId].status === status))
      .reverse()
      .map((r) => ({ eventId: r.event.id, type: r.event.type, session: r.event.session, timestamp: r.event.timestamp, ...r.targets[subscriptionId] }));
  }
};

/** A webhook URL as answers show it: credentials in it (`user:password@`) are never sent back. */
function masked(url: string): string {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return url;
  parsed.username = parsed.username ? '***' : '';
  parsed.password = parsed.password ? '***' : '';
  return parsed.toString();
}
