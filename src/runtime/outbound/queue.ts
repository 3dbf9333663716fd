/**
 * outbound/queue: the per-session send queue. Queued sends are persisted (one record each, media stored once by
 * reference) and survive restarts. Two lanes: interactive sends go as soon as they are due; bulk sends wait for the
 * session's pacing (gap with jitter, caps, first-contact cap) and stop while WhatsApp limits the number (429
 * rate-overlimit, 463 restricted, reach-out time lock, new-chat cap), announced as `session.limited`.
 * Each queued send owns the message id it is sent under, chosen when it was queued: a send interrupted by a crash
 * is repeated under the same id, which recipients de-duplicate, so nothing is lost and nothing arrives twice.
 */
import type { RuntimeEvent } from '../events/schema';
import { ApiError } from '../errors';
import type { MediaInput } from '../messages/media-input';
import type { SendRequest } from '../messages/sender';
import type { WhatsAppLimitSignal } from '../sessions/types';
import { isRateLimit } from './limits';
import { itemKey, SessionQueue } from './session-queue';
import type { Lane, OutboundDeps, OutboundStatus, QueuedSend, QueueListener } from './types';
import { currentRequestId } from '../request-context';

export type { Lane, OutboundStatus, QueuedSend, QueueListener, Settled, StoredRequest } from './types';

export class OutboundQueue {
  private readonly queues = new Map<string, SessionQueue>();
  private listener?: QueueListener;
  private unsubscribe?: () => void;
  /** Orders queued sends; starts at the clock so it keeps growing across restarts. */
  private seq: number;

  constructor(private readonly deps: OutboundDeps) {
    this.seq = deps.clock.now();
  }

  setListener(listener: QueueListener): void {
    this.listener = listener;
  }

  async start(): Promise<void> {
    await this.load();
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event));
    for (const queue of this.queues.values()) queue.kick();
  }

  /**
   * Cluster mode: the session moved here. Its queue is read again from the shared store (another runtime queued
   * what is in it since this one started) and runs where the socket is.
   */
  async reloadSession(session: string): Promise<void> {
    const previous = this.queues.get(session);
    if (previous) await previous.stop();
    this.queues.delete(session);
    await this.load(session);
    (await this.queue(session)).kick();
  }

  /** Puts the stored sends (of `only`, or of every session) in their queues, in order, each once. */
  private async load(only?: string): Promise<void> {
    const loaded: QueuedSend[] = [];
    for await (const [, value] of this.deps.items.iterator!(this.deps.items.namespace)) {
      if (!only || (value as QueuedSend).session === only) loaded.push(value as QueuedSend);
    }
    loaded.sort((a, b) => a.seq - b.seq);
    this.seq = loaded.reduce((max, item) => Math.max(max, item.seq), this.seq);
    for (const item of loaded) {
      const queue = await this.queue(item.session);
      // the API listens before the queue starts: a send queued in between is already here
      queue.add(item);
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([...this.queues.values()].map((queue) => queue.stop()));
    this.queues.clear();
  }

  /** Queues a send; `id` is the message id it will carry. */
  async enqueue(session: string, input: { id: string; lane: Lane; request: SendRequest; sendAt?: number; campaignId?: string; recipientIndex?: number; sharedMediaRef?: string }): Promise<QueuedSend> {
    const { request, sharedMediaRef, ...rest } = input;
    const queue = await this.queue(session);
    const existing = queue.find(input.id);
    if (existing) return existing;
    const body = { ...(request.body as unknown as Record<string, unknown> & { to: string }) };
    let mediaRef: QueuedSend['mediaRef'];
    if (sharedMediaRef) {
      mediaRef = { id: sharedMediaRef, shared: true };
    } else if ('media' in body && body.media) {
      mediaRef = { id: `m_${input.id}`, shared: false };
      await this.deps.media.set(mediaRef.id, body.media as MediaInput);
    }
    delete body.media;
    const requestId = currentRequestId();
    const item: QueuedSend = { ...rest, session, request: { kind: request.kind, body }, ...(mediaRef && { mediaRef }), ...(requestId && { requestId }), createdAt: this.deps.clock.now(), seq: ++this.seq, attempts: 0 };
    await this.deps.items.set(itemKey(item), item);
    queue.add(item);
    queue.kick();
    return item;
  }

  /** Stores media shared by many queued sends (a campaign's); the owner deletes it with `deleteMedia`. */
  async storeMedia(id: string, media: MediaInput): Promise<void> {
    await this.deps.media.set(id, media);
  }

  async deleteMedia(id: string): Promise<void> {
    await this.deps.media.delete(id);
  }

  /**
   * An interactive send made right now by a caller who waits for it (REST send, Send and Wait): it counts towards
   * the caps, and a rate limit it meets pauses the bulk lane.
   */
  async sendNow<T>(session: string, to: string, send: () => Promise<T>): Promise<T> {
    const queue = await this.queue(session);
    const firstContact = await queue.isFirstContact(to);
    try {
      const result = await send();
      queue.recordSend('interactive', firstContact);
      return result;
    } catch (error) {
      if (!isRateLimit(error)) throw error;
      await queue.apply({ kind: 'rate_limited' });
      throw new ApiError(429, 'rate_limited', 'WhatsApp is rate-limiting this number (rate-overlimit): nothing was sent, bulk sends are paused; try again in a minute');
    }
  }

  async status(session: string): Promise<OutboundStatus> {
    return (await this.queue(session)).status();
  }

  async list(session: string, lane?: Lane): Promise<QueuedSend[]> {
    const queue = await this.queue(session);
    return queue.ordered().filter((item) => !lane || item.lane === lane);
  }

  /** Removes queued sends; answers the removed ones (their owners are told they were not sent). */
  async remove(session: string, predicate: (item: QueuedSend) => boolean): Promise<QueuedSend[]> {
    return (await this.queue(session)).remove(predicate);
  }

  async resume(session: string): Promise<boolean> {
    return (await this.queue(session)).limits.lift(() => true);
  }

  async applySettings(session: string): Promise<void> {
    (await this.queue(session)).applySettings();
  }

  /** Drops a deleted session's queued sends, their media and its pacing state. */
  async dropSession(session: string): Promise<void> {
    const queue = await this.queue(session);
    await queue.remove(() => true);
    await queue.stop();
    this.queues.delete(session);
    await this.deps.state.delete(session);
  }

  kick(session: string): void {
    this.queues.get(session)?.kick();
  }

  /** What the session reports of WhatsApp's limits on the number (463, time lock, new-chat cap). */
  async onWhatsAppLimit(session: string, signal: WhatsAppLimitSignal): Promise<void> {
    await (await this.queue(session)).apply(signal);
  }

  private onEvent(event: RuntimeEvent): void {
    if (event.type === 'session.status' && (event.data as { status?: string }).status === 'connected') this.queues.get(event.session)?.kick();
  }

  private async queue(session: string): Promise<SessionQueue> {
    let queue = this.queues.get(session);
    if (!queue) {
      queue = new SessionQueue(session, this.deps, () => this.listener);
      this.queues.set(session, queue);
    }
    // a caller that finds the queue while the first one is still loading it waits for the load too
    await queue.load();
    return queue;
  }
}
