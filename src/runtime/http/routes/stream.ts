/**
 * http/routes/stream: the event stream for clients that cannot receive webhooks: Server-Sent Events at
 * `GET /api/v1/events`, the same event schema and filters as webhooks, resumable with `Last-Event-ID` from the
 * outbox (no gap while the resumed events are retained): only what follows the given id is read, a slow reader
 * is paced by its socket and disconnected when it falls too far behind, and each API key may hold a few streams,
 * sees only its sessions' events, and loses its streams the moment it is revoked.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors';
import { matches } from '../../delivery/subscriptions';
import type { EventFeed } from '../../events/feed';
import type { RuntimeEvent } from '../../events/schema';
import { canSee } from '../../auth/api-keys';
import { routePermissions } from '../access';

const HEARTBEAT_MS = 15_000;
/** Open streams per API key; more answer 429 (each stream holds a connection and a subscription). */
export const MAX_STREAMS_PER_KEY = 10;
/** A reader this far behind is disconnected; it resumes with Last-Event-ID (memory stays bounded). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const REPLAY_SLICE = 10;

/** An event's SSE frame, made once however many streams send it (events are shared, immutable objects). */
const frames = new WeakMap<RuntimeEvent, string>();
function frameOf(event: RuntimeEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    frames.set(event, frame);
  }
  return frame;
}

/** Resolves when the socket can take more, or is gone; leaves no listener behind. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Subscribes to revocations of credentials (API keys, OAuth grants) by id; answers the unsubscribe. */
export type RevocationFeed = (listener: (id: string) => void) => () => void;

export const streamRoutes: FastifyPluginAsync<{ feed: EventFeed; revocations: RevocationFeed[] }> = async (app, { feed, revocations }) => {
  routePermissions(app, 'read');
  const open = new Map<string, number>();
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
      const holder = request.apiKey?.id ?? 'anonymous';
      const key = request.apiKey;
      if ((open.get(holder) ?? 0) >= MAX_STREAMS_PER_KEY) throw new ApiError(429, 'too_many_streams', `At most ${MAX_STREAMS_PER_KEY} event streams may be open per API key; close one first`);
      open.set(holder, (open.get(holder) ?? 0) + 1);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': connected\n\n');
      const resumeAfter = lastEventId ? await feed.positionOf(lastEventId) : undefined;
      if (lastEventId && resumeAfter === undefined) res.write(`: unknown Last-Event-ID ${lastEventId.replace(/[\r\n]/g, '')}; streaming new events only\n\n`);
      const live: RuntimeEvent[] = [];
      let replaying = true;
      /** Writes the event; answers false when the socket's buffer is full (the caller waits for it to drain). */
      const send = (event: RuntimeEvent): boolean => {
        if (event.type === 'webhook.test' || (key && !canSee(key, event.session)) || !matches(filter, event)) return true;
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          res.end(': this reader fell too far behind; reconnect with Last-Event-ID to resume\n\n');
          return true;
        }
        return res.write(frameOf(event));
      };
      const unsubscribe = feed.subscribe((event) => (replaying ? live.push(event) : send(event)));
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
      const stopOnRevoke = revocations.map((feed) =>
        feed((id) => {
          if (id === holder) res.end(': this credential was revoked\n\n');
        }),
      );
      let closed = false;
      request.raw.on('close', () => {
        closed = true;
        unsubscribe();
        for (const stop of stopOnRevoke) stop();
        clearInterval(heartbeat);
        open.set(holder, (open.get(holder) ?? 1) - 1);
      });
      // what came live while the replay ran and the replay sent too goes once
      const replayed = new Set<string>();
      if (resumeAfter !== undefined) {
        let read = 0;
        for await (const event of feed.eventsAfter(resumeAfter)) {
          if (closed) break;
          if (!send(event)) await drained(res);
          replayed.add(event.id);
          // a long replay lets other requests in between pages (200 resumed streams must not stall /health)
          if (++read % REPLAY_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      }
      replaying = false;
      for (const event of live.splice(0)) if (!replayed.has(event.id)) send(event);
    },
  );
};
