/**
 * http/routes/stream: the event stream for clients that cannot receive webhooks: Server-Sent Events at
 * `GET /api/v1/events`, the same event schema and filters as webhooks, resumable with `Last-Event-ID` from the
 * outbox (no gap while the resumed events are retained).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Delivery } from '../../delivery';
import { matches } from '../../delivery/subscriptions';
import type { EventBus } from '../../events/bus';
import type { RuntimeEvent } from '../../events/schema';

const HEARTBEAT_MS = 15_000;

export const streamRoutes: FastifyPluginAsync<{ delivery: Delivery; bus: EventBus }> = async (app, { delivery, bus }) => {
  app.get<{ Querystring: { events?: string; sessions?: string; lastEventId?: string } }>(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Server-Sent Events stream of runtime events (resume with the Last-Event-ID header)',
        querystring: {
          type: 'object',
          properties: {
            events: { type: 'string', description: 'Comma-separated event types or wildcards (default: all)' },
            sessions: { type: 'string', description: 'Comma-separated sessions (default: all)' },
            lastEventId: { type: 'string', description: 'Same as the Last-Event-ID header' },
          },
        },
      },
    },
    async (request, reply) => {
      const filter = {
        events: request.query.events ? request.query.events.split(',').map((s) => s.trim()).filter(Boolean) : ['*'],
        sessions: request.query.sessions ? request.query.sessions.split(',').map((s) => s.trim()).filter(Boolean) : [],
      };
      const lastEventId = (request.headers['last-event-id'] as string | undefined) ?? request.query.lastEventId;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': connected\n\n');
      const resumeAfter = lastEventId ? delivery.outbox.seqOf(lastEventId) : undefined;
      if (lastEventId && resumeAfter === undefined) res.write(`: unknown Last-Event-ID ${lastEventId.replace(/[\r\n]/g, '')}; streaming new events only\n\n`);
      const live: RuntimeEvent[] = [];
      let replaying = true;
      const send = (event: RuntimeEvent) => {
        if (event.type === 'webhook.test' || !matches(filter, event)) return;
        res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      };
      const unsubscribe = bus.subscribe((event) => (replaying ? live.push(event) : send(event)));
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
      request.raw.on('close', () => {
        unsubscribe();
        clearInterval(heartbeat);
      });
      let sentUpTo = 0;
      if (resumeAfter !== undefined) {
        for (const record of await delivery.outbox.all()) {
          if (record.seq <= resumeAfter) continue;
          send(record.event);
          sentUpTo = record.seq;
        }
      }
      replaying = false;
      for (const event of live.splice(0)) if ((delivery.outbox.seqOf(event.id) ?? Number.MAX_SAFE_INTEGER) > sentUpTo) send(event);
    },
  );
};
