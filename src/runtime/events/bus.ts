/**
 * events/bus: the in-process bus every produced event goes through. Producers give type, session and data; the
 * bus stamps the envelope (with the id of the API request that caused it, if one did), hands it to the durable sink (the outbox) and, once written, to subscribers (stream,
 * tests). `publish` resolves after the write, so a producer that awaits it knows the event is safe.
 */
import { hash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { EventDataMap, EventType, RuntimeEvent } from './schema';
import { currentRequestId } from '../request-context';

export type EventListener = (event: RuntimeEvent) => void;

export type EventSink = (event: RuntimeEvent) => Promise<boolean>;

export class EventBus {
  private readonly emitter = new EventEmitter();
  private sink?: EventSink;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** The durable writer; it resolves false for an event it already has (same id), which is then not re-emitted. */
  setSink(sink: EventSink | undefined): void {
    this.sink = sink;
  }

  /**
   * Publishes an event. `naturalKey` makes the id deterministic (the same WhatsApp fact always gets the same id,
   * across reconnects and restarts); without it the id is random.
   */
  async publish<K extends EventType>(type: K, session: string, data: EventDataMap[K], naturalKey?: string): Promise<RuntimeEvent<EventDataMap[K]>> {
    // one-shot hash(): a Hash object per event cost more than the hashing itself
    const id = naturalKey ? `evt_${hash('sha256', `${session}\u0000${type}\u0000${naturalKey}`, 'base64url').slice(0, 26)}` : `evt_${randomUUID()}`;
    const requestId = currentRequestId();
    const event: RuntimeEvent<EventDataMap[K]> = { id, type, session, timestamp: new Date().toISOString(), ...(requestId && { requestId }), data };
    const isNew = this.sink ? await this.sink(event as RuntimeEvent) : true;
    if (isNew) this.emitter.emit('event', event);
    return event;
  }

  subscribe(listener: EventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
