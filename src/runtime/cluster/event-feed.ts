/**
 * cluster/event-feed: the event stream of a cluster. Every runtime appends the events it produces to one Redis
 * stream (`wa:events`, trimmed to about MAX_EVENTS) and reads it back with a blocking XREAD, so a client of the
 * event stream sees every session's events, in the order Redis took them, whichever runtime it is connected to,
 * and resumes with Last-Event-ID on any runtime. Webhooks do not go through here (each runtime delivers its own).
 */
import { createClient } from '@redis/client';
import type { EventFeed } from '../events/feed';
import type { RuntimeEvent } from '../events/schema';

const KEY = 'wa:events';
/** Events kept for resumed streams (Redis trims in whole nodes, so a few more); as many are indexed in memory. */
const MAX_EVENTS = 50_000;
const READ_BLOCK_MS = 5000;
const PAGE = 200;

type Client = ReturnType<typeof createClient>;

export class ClusterEventFeed implements EventFeed<string> {
  private readonly writer: Client;
  /** A blocking read holds its connection: it gets one of its own. */
  private readonly reader: Client;
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  /** Entry ids of recent events by event id, for resumes without a search. */
  private readonly entries = new Map<string, string>();
  private last = '$';
  private reading: Promise<void> | undefined;
  private stopped = false;

  constructor(redisUrl: string, private readonly onError: (error: Error) => void) {
    const options = { url: redisUrl, disableOfflineQueue: true, socket: { reconnectStrategy: (retries: number) => Math.min(retries * 200, 2000) } };
    this.writer = createClient(options);
    this.reader = createClient(options);
    this.writer.on('error', onError);
    this.reader.on('error', onError);
  }

  async start(): Promise<void> {
    await Promise.all([this.writer.connect(), this.reader.connect()]);
    const [newest] = await this.writer.xRevRange(KEY, '+', '-', { COUNT: 1 });
    this.last = newest?.id ?? '0-0';
    this.reading = this.read();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reader.destroy();
    await this.reading?.catch(() => undefined);
    if (this.writer.isOpen) await this.writer.close();
  }

  /** Appends an event this runtime produced; Redis keeps the order of one connection's commands. */
  publish(event: RuntimeEvent): void {
    if (!this.writer.isReady) return this.onError(new Error(`the cluster event stream missed ${event.id}: Redis is not connected`));
    this.writer.xAdd(KEY, '*', { e: JSON.stringify(event) }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: MAX_EVENTS } }).catch((error: unknown) => this.onError(error as Error));
  }

  subscribe(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async positionOf(eventId: string): Promise<string | undefined> {
    const known = this.entries.get(eventId);
    if (known) return known;
    // an event from before this runtime started: searched from the newest back
    for (let before = '+'; ;) {
      const page = await this.writer.xRevRange(KEY, before, '-', { COUNT: PAGE });
      for (const entry of page) if (eventOf(entry.message)?.id === eventId) return entry.id;
      if (page.length < PAGE) return undefined;
      before = `(${page[page.length - 1].id}`;
    }
  }

  async *eventsAfter(position: string): AsyncIterable<RuntimeEvent> {
    for (let after = position; ;) {
      const page = await this.writer.xRange(KEY, `(${after}`, '+', { COUNT: PAGE });
      for (const entry of page) {
        const event = eventOf(entry.message);
        if (event) yield event;
      }
      if (page.length < PAGE) return;
      after = page[page.length - 1].id;
    }
  }

  private async read(): Promise<void> {
    while (!this.stopped) {
      try {
        const answer = await this.reader.xRead({ key: KEY, id: this.last }, { BLOCK: READ_BLOCK_MS, COUNT: 500 });
        for (const stream of (answer as { messages: { id: string; message: Record<string, string> }[] }[] | null) ?? []) {
          for (const entry of stream.messages) {
            this.last = entry.id;
            const event = eventOf(entry.message);
            if (!event) continue;
            this.entries.set(event.id, entry.id);
            if (this.entries.size > MAX_EVENTS) this.entries.delete(this.entries.keys().next().value!);
            for (const listener of this.listeners) listener(event);
          }
        }
      } catch (error) {
        if (this.stopped) return;
        this.onError(error as Error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
}

function eventOf(message: Record<string, string>): RuntimeEvent | undefined {
  try {
    return message.e ? (JSON.parse(message.e) as RuntimeEvent) : undefined;
  } catch {
    return undefined;
  }
}
