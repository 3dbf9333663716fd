/**
 * delivery/: durable, signed delivery of the runtime's events. The outbox is the bus's sink: an event is written
 * (with its matching subscriptions) before its producer continues; the dispatcher delivers to webhooks; the
 * stream reads the same outbox. Everything survives a restart: pending deliveries resume.
 */
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { EventFeed } from '../events/feed';
import type { RuntimeEvent } from '../events/schema';
import type { Store } from '../store';
import { Dispatcher, type DispatcherOptions } from './dispatcher';
import { DeliveryMetrics } from './metrics';
import { Outbox, type OutboxRecord } from './outbox';
import { SubscriptionRegistry, type Subscription } from './subscriptions';
import type { UrlPolicy } from '../net/guard';

export interface DeliveryOptions extends DispatcherOptions {
  retentionMs: number;
  /** Cluster mode: this runtime's own outbox (each runtime numbers the events it produces itself). */
  partition?: string;
  /** Where webhooks may point: public addresses, plus loopback or private networks as configured. */
  targets: UrlPolicy;
  /** Cluster mode: every event written here is also written to the cluster's shared feed. */
  mirror?(event: RuntimeEvent): void;
}

export class Delivery {
  readonly subscriptions: SubscriptionRegistry;
  readonly outbox: Outbox;
  readonly metrics = new DeliveryMetrics();
  private started = false;
  readonly dispatcher: Dispatcher;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    logger: Logger,
    private readonly options: DeliveryOptions,
  ) {
    this.subscriptions = new SubscriptionRegistry(store.namespace<Subscription>('webhooks', { plainJson: true }), options.targets);
    this.outbox = this.outboxOf(options.partition);
    this.dispatcher = new Dispatcher(this.outbox, this.subscriptions, this.metrics, logger.child({ component: 'delivery' }), options);
  }

  /** Loads subscriptions and the outbox, resumes pending deliveries, and becomes the bus's durable sink. */
  async start(): Promise<void> {
    await this.subscriptions.load();
    for (const record of await this.outbox.init()) this.dispatcher.enqueue(record);
    this.bus.setSink((event) => this.accept(event));
    this.started = true;
  }

  /**
   * Cluster mode: delivers what a runtime that is gone left pending in its own outbox (each event under its own id),
   * then resolves; the partition's records expire with their retention like any.
   */
  async adopt(partition: string, logger: Logger): Promise<number> {
    const outbox = this.outboxOf(partition);
    const dispatcher = new Dispatcher(outbox, this.subscriptions, this.metrics, logger, this.options);
    const pending = await outbox.init();
    for (const record of pending) dispatcher.enqueue(record);
    await this.whilePending(() => dispatcher.pending().count, 100);
    dispatcher.stop();
    await outbox.flush();
    return pending.length;
  }

  /** Cluster mode: resolves once the session's pending events are delivered, or after `withinMs` (a hand-over). */
  async drained(session: string, withinMs: number): Promise<void> {
    await this.whilePending(() => this.dispatcher.pendingOf(session), 20, withinMs);
  }

  /** Resolves once `pending()` is 0, delivery stopped, or `withinMs` passed; looks every `everyMs`. */
  private async whilePending(pending: () => number, everyMs: number, withinMs = Number.POSITIVE_INFINITY): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (this.started && pending() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, everyMs));
  }

  /** The outbox of one runtime in cluster mode (`partition`: its id), or the only one. */
  private outboxOf(partition: string | undefined): Outbox {
    const name = (namespace: string) => (partition ? `${namespace}@${partition}` : namespace);
    return new Outbox(this.store.namespace<OutboxRecord>(name('outbox'), { plainJson: true }), this.store.namespace<number>(name('outbox-meta'), { plainJson: true }), this.options.retentionMs);
  }

  /** Cluster mode: picks up the webhooks other runtimes created, changed or deleted. */
  async resync(): Promise<void> {
    for (const id of await this.subscriptions.load()) this.dispatcher.forget(id);
  }

  /** Whether events are being written and delivered (for readiness). */
  get running(): boolean {
    return this.started;
  }

  async stop(): Promise<void> {
    this.started = false;
    this.bus.setSink(undefined);
    this.dispatcher.stop();
    await this.outbox.flush();
  }

  /** Writes an event for the subscriptions it matches (or only `only`, for test events) and queues its deliveries. */
  async accept(event: RuntimeEvent, only?: Subscription): Promise<boolean> {
    const targets = only ? [only.id] : this.subscriptions.matching(event).map((s) => s.id);
    const record = await this.outbox.append(event, targets);
    if (!record) return false;
    this.dispatcher.enqueue(record);
    if (!only) this.options.mirror?.(event);
    return true;
  }

  /** This runtime's events as the event stream reads them: live from the bus, resumed from the outbox. */
  feed(): EventFeed<number> {
    const outbox = this.outbox;
    return {
      subscribe: (listener) => this.bus.subscribe(listener),
      positionOf: async (eventId) => outbox.seqOf(eventId),
      async *eventsAfter(seq) {
        for await (const { event } of outbox.eventsAfter(seq)) yield event;
      },
    };
  }

  /** Forgets a deleted session: its events, its queued deliveries, and the webhooks that were only its own. */
  async dropSession(session: string): Promise<void> {
    this.dispatcher.dropSession(session);
    await this.outbox.dropSession(session);
    for (const id of await this.subscriptions.dropSession(session)) this.dispatcher.forget(id);
  }

  /** Puts a subscription's target of `record` back to pending (a fresh retry budget) and queues it. */
  async redeliver(record: OutboxRecord, subscriptionId: string): Promise<void> {
    const previous = record.targets[subscriptionId];
    record.targets[subscriptionId] = { status: 'pending', attempts: previous?.attempts ?? [], since: Date.now() };
    await this.outbox.save(record);
    this.dispatcher.enqueue(record);
  }
}
