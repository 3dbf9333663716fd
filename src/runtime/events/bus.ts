/**
 * events/bus: the in-process bus every produced event goes through. Producers give type, session and data; the
 * bus stamps the envelope. Consumers (outbox, stream, tests) subscribe.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { EventType, RuntimeEvent } from './schema';

export type EventListener = (event: RuntimeEvent) => void;

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /**
   * Publishes an event. `naturalKey` makes the id deterministic (the same WhatsApp fact always gets the same id,
   * across reconnects and restarts); without it the id is random.
   */
  publish<T extends object>(type: EventType, session: string, data: T, naturalKey?: string): RuntimeEvent<T> {
    const id = naturalKey ? `evt_${createHash('sha256').update(`${session}\u0000${type}\u0000${naturalKey}`).digest('base64url').slice(0, 26)}` : `evt_${randomUUID()}`;
    const event: RuntimeEvent<T> = { id, type, session, timestamp: new Date().toISOString(), data };
    this.emitter.emit('event', event);
    return event;
  }

  subscribe(listener: EventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
