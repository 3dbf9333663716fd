/**
 * outbound/session-queue: one session's queued sends and the loop that sends them: interactive ones when due, bulk
 * ones at the pace the session's settings and WhatsApp's limits allow; failures retried or settled; pacing and
 * limits saved across restarts.
 */
import { setImmediate } from 'node:timers/promises';
import { ApiError } from '../errors';
import { phoneNumberOf } from '../messages/recipients';
import type { SendRequest } from '../messages/sender';
import { isRateLimit, iso, SessionLimits, type LimitSignal } from './limits';
import { Pacer, pacingOf, type PacingSettings } from './pacing';
import type { Lane, OutboundDeps, OutboundStatus, QueuedSend, QueueListener, Settled } from './types';
import { asRequest, detached } from '../request-context';

const MAX_ATTEMPTS = 5;
const STATE_SAVE_DELAY_MS = 1_000;

export class SessionQueue {
  private readonly items = new Map<string, QueuedSend>();
  /** The items in the order they go (see `ordered`), kept between picks: a drain must not sort the backlog per send. */
  private sorted?: QueuedSend[];
  private readonly pacer: Pacer;
  readonly limits: SessionLimits;
  private wake?: AbortController;
  /** Set by `kick` so a change that arrives while the loop is busy is not slept through. */
  private kicked = false;
  private running?: Promise<void>;
  private stopped = false;
  private saveTimer?: NodeJS.Timeout;
  private nextSendAt?: number;
  private loaded?: Promise<void>;

  constructor(
    private readonly session: string,
    private readonly deps: OutboundDeps,
    private readonly listener: () => QueueListener | undefined,
  ) {
    this.pacer = new Pacer(this.settings(), deps.random);
    this.limits = new SessionLimits(session, deps.bus, async () => {
      await this.saveState();
      this.kick();
    });
  }

  load(): Promise<void> {
    this.loaded ??= (async () => {
      const state = await this.deps.state.get(this.session);
      this.pacer.load(state?.pacing);
      this.limits.load(state?.limits);
    })();
    return this.loaded;
  }

  settings(): PacingSettings {
    const session = this.deps.sessions.find(this.session);
    return pacingOf(session?.settings.outbound);
  }

  applySettings(): void {
    this.pacer.settings = this.settings();
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.kicked = true;
      this.wake?.abort();
      return;
    }
    // one loop sends for every request that queued something: it belongs to none of them
    this.running = detached(() => this.run())
      .catch((error: unknown) => this.deps.logger.error({ err: error, session: this.session }, 'send queue stopped on an error'))
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.abort();
    await this.running;
    await this.saveState();
  }

  get size(): number {
    return this.items.size;
  }

  find(id: string): QueuedSend | undefined {
    return this.items.get(id);
  }

  /** Adds a send unless one with its id is queued already. */
  add(item: QueuedSend): void {
    if (this.items.has(item.id)) return;
    this.items.set(item.id, item);
    this.sorted = undefined;
  }

  /** Due first, then in the order they were queued. */
  ordered(): readonly QueuedSend[] {
    this.sorted ??= [...this.items.values()].sort((a, b) => due(a) - due(b) || a.seq - b.seq);
    return this.sorted;
  }

  async isFirstContact(to: string): Promise<boolean> {
    if (to.endsWith('@g.us')) return false;
    const session = this.deps.sessions.find(this.session);
    if (!session) return false;
    const digits = phoneNumberOf(to);
    const jid = to.endsWith('@lid') ? to : digits ? `${digits}@s.whatsapp.net` : undefined;
    return !jid || !(await session.chats.get(jid));
  }

  recordSend(lane: Lane, firstContact: boolean): void {
    this.pacer.record(this.deps.clock.now(), { lane, firstContact });
    if (lane === 'bulk') this.limits.sent();
    this.scheduleSave();
  }

  apply(signal: LimitSignal): Promise<void> {
    return this.limits.apply(signal, this.deps.clock.now(), this.pacer.settings.restrictedPauseMs);
  }

  async remove(predicate: (item: QueuedSend) => boolean): Promise<QueuedSend[]> {
    const removed = [...this.items.values()].filter(predicate);
    for (const item of removed) {
      await this.forget(item);
      await this.listener()?.onSettled(item, { status: 'cancelled' });
    }
    return removed;
  }

  status(): OutboundStatus {
    const now = this.deps.clock.now();
    const lane = (name: Lane) => {
      let queued = 0;
      let next: number | undefined;
      for (const item of this.items.values()) {
        if (item.lane !== name) continue;
        queued++;
        next = Math.min(next ?? Number.POSITIVE_INFINITY, due(item));
      }
      return { queued, nextDueAt: iso(next) };
    };
    return {
      session: this.session,
      lanes: { interactive: lane('interactive'), bulk: lane('bulk') },
      nextSendAt: this.items.size ? iso(this.nextSendAt ?? now) : null,
      limits: this.limits.view(),
      usage: this.pacer.usage(now),
      settings: this.pacer.settings,
    };
  }

  private async run(): Promise<void> {
    await this.load();
    while (!this.stopped) {
      // what changed before this look is seen by it: only a kick during it calls for another
      this.kicked = false;
      const now = this.deps.clock.now();
      await this.limits.lift((limit) => limit.until !== undefined && limit.until <= now);
      const { item, firstContact, wakeAt } = await this.pick(now);
      this.nextSendAt = item ? now : wakeAt;
      if (item) {
        await this.send(item, firstContact ?? (await this.isFirstContact(item.request.body.to)));
        // a send can complete without leaving the event loop's current turn (the socket takes the frame at once):
        // a backlog drained with pacing off would hold off every request, inbound message and keep-alive until done
        await setImmediate();
        continue;
      }
      if (!this.items.size) return;
      if (this.kicked) continue;
      this.wake = new AbortController();
      await this.deps.clock.sleep(wakeAt === undefined ? Number.POSITIVE_INFINITY : wakeAt - now, this.wake.signal);
    }
  }

  /**
   * The next send that may go now, or when to look again (undefined: when something changes). Walks the items in
   * order only as far as it must: the chat store is read only for a bulk send that its pacing would let go now.
   */
  private async pick(now: number): Promise<{ item?: QueuedSend; firstContact?: boolean; wakeAt?: number }> {
    if (!this.deps.sessions.find(this.session)?.socket) return {};
    const listener = this.listener();
    const items = this.ordered();
    const ready = (item: QueuedSend, lane: Lane) => item.lane === lane && !listener?.isHeld(item);
    let wakeAt = Number.POSITIVE_INFINITY;
    const interactive = items.find((item) => ready(item, 'interactive'));
    if (interactive) {
      if (due(interactive) <= now) return { item: interactive };
      wakeAt = due(interactive);
    }
    const bulkLimit = this.limits.find('bulk');
    if (bulkLimit) return { wakeAt: finite(Math.min(wakeAt, bulkLimit.until ?? Number.POSITIVE_INFINITY)) };
    const firstContactLimit = this.limits.find('first_contacts');
    const paced = this.pacer.earliestBulk(now, false);
    for (const item of items) {
      if (!ready(item, 'bulk')) continue;
      const earliest = Math.max(due(item), paced);
      if (earliest > now) {
        // later items are due no earlier and pace the same: none of them goes before this one could
        wakeAt = Math.min(wakeAt, earliest);
        break;
      }
      const firstContact = await this.isFirstContact(item.request.body.to);
      if (!firstContact) return { item, firstContact };
      const at = firstContactLimit ? (firstContactLimit.until ?? Number.POSITIVE_INFINITY) : Math.max(due(item), this.pacer.earliestBulk(now, true));
      if (at <= now) return { item, firstContact };
      // the first-contact cap holds this one back, not a send to a known chat behind it
      wakeAt = Math.min(wakeAt, at);
    }
    return { wakeAt: finite(wakeAt) };
  }

  private async send(item: QueuedSend, firstContact: boolean): Promise<void> {
    const { sender, clock } = this.deps;
    try {
      const request = await this.materialise(item);
      const settings = this.pacer.settings;
      const text = request.kind === 'text' ? request.body.text : '';
      const result = await asRequest(item.requestId, () => sender.send(this.session, request, item.id, {
        beforeSend: settings.typing && text
          ? async ({ sock, to }) => {
              await sock.sendPresenceUpdate('composing', to);
              await clock.sleep(Math.min(text.length * settings.typingMsPerChar, settings.typingMaxMs), new AbortController().signal);
              await sock.sendPresenceUpdate('paused', to);
            }
          : undefined,
      }));
      this.recordSend(item.lane, firstContact);
      await this.settle(item, { status: 'sent', result });
    } catch (error) {
      await this.onSendError(item, error);
    }
  }

  private async onSendError(item: QueuedSend, error: unknown): Promise<void> {
    const now = this.deps.clock.now();
    const message = (error as Error).message ?? String(error);
    if (isRateLimit(error)) {
      await this.apply({ kind: 'rate_limited' });
      await this.update(item, { notBefore: this.limits.all().find((l) => l.reason === 'rate_limited')?.until, lastError: message });
      return;
    }
    if (error instanceof ApiError && error.code === 'session_not_connected') return;
    if (error instanceof ApiError && error.code === 'recipient_opted_out') {
      await this.settle(item, { status: 'skipped', reason: 'opted_out' });
      return;
    }
    if (error instanceof ApiError && error.statusCode < 500) {
      await this.settle(item, { status: 'failed', reason: message });
      return;
    }
    const attempts = item.attempts + 1;
    if (attempts >= MAX_ATTEMPTS) {
      await this.settle(item, { status: 'failed', reason: `gave up after ${attempts} attempts: ${message}` });
      return;
    }
    this.deps.logger.warn({ session: this.session, messageId: item.id, attempts, err: error }, 'queued send failed, will retry');
    await this.update(item, { attempts, notBefore: now + 5_000 * 2 ** attempts, lastError: message });
  }

  private async settle(item: QueuedSend, outcome: Settled): Promise<void> {
    await this.forget(item);
    if (outcome.status === 'failed') {
      const chatId = item.request.body.to;
      await asRequest(item.requestId, () => this.deps.bus.publish('message.status', this.session, { messageId: item.id, chatId, fromMe: true, status: 'failed', reason: outcome.reason }, `${chatId}|${item.id}|failed`));
    }
    await this.listener()?.onSettled(item, outcome);
  }

  private async forget(item: QueuedSend): Promise<void> {
    this.items.delete(item.id);
    // usually the first of them: dropped without sorting the rest again
    const index = this.sorted?.indexOf(item) ?? -1;
    if (index >= 0) this.sorted!.splice(index, 1);
    await this.deps.items.delete(itemKey(item));
    if (item.mediaRef && !item.mediaRef.shared) await this.deps.media.delete(item.mediaRef.id);
  }

  private async update(item: QueuedSend, change: Partial<QueuedSend>): Promise<void> {
    Object.assign(item, change);
    this.sorted = undefined;
    await this.deps.items.set(itemKey(item), item);
  }

  private async materialise(item: QueuedSend): Promise<SendRequest> {
    if (!item.mediaRef) return item.request as unknown as SendRequest;
    const media = await this.deps.media.get(item.mediaRef.id);
    if (!media) throw new ApiError(410, 'media_gone', 'The media of this queued send is no longer stored');
    return { kind: item.request.kind, body: { ...item.request.body, media } } as unknown as SendRequest;
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => void this.saveState(), STATE_SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  private async saveState(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.deps.state.set(this.session, { pacing: this.pacer.snapshot(), limits: this.limits.all() });
  }
}

export function itemKey(item: QueuedSend): string {
  return `${item.session}|${item.id}`;
}

function finite(ms: number): number | undefined {
  return Number.isFinite(ms) ? ms : undefined;
}

function due(item: QueuedSend): number {
  return Math.max(item.createdAt, item.sendAt ?? 0, item.notBefore ?? 0);
}


