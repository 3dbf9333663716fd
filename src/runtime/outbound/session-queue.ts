/**
 * outbound/session-queue: one session's queued sends and the loop that sends them: interactive ones when due, bulk
 * ones at the pace the session's settings and WhatsApp's limits allow; failures retried or settled; pacing and
 * limits saved across restarts.
 */
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
  readonly items: QueuedSend[] = [];
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

  ordered(): QueuedSend[] {
    return [...this.items].sort((a, b) => due(a) - due(b) || a.seq - b.seq);
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
    const removed = this.items.filter(predicate);
    for (const item of removed) {
      await this.forget(item);
      await this.listener()?.onSettled(item, { status: 'cancelled' });
    }
    return removed;
  }

  status(): OutboundStatus {
    const now = this.deps.clock.now();
    const lane = (name: Lane) => {
      const items = this.items.filter((i) => i.lane === name);
      const next = items.length ? Math.min(...items.map(due)) : undefined;
      return { queued: items.length, nextDueAt: iso(next) };
    };
    return {
      session: this.session,
      lanes: { interactive: lane('interactive'), bulk: lane('bulk') },
      nextSendAt: this.items.length ? iso(this.nextSendAt ?? now) : null,
      limits: this.limits.view(),
      usage: this.pacer.usage(now),
      settings: this.pacer.settings,
    };
  }

  private async run(): Promise<void> {
    await this.load();
    while (!this.stopped) {
      const now = this.deps.clock.now();
      await this.limits.lift((limit) => limit.until !== undefined && limit.until <= now);
      const { item, firstContact, wakeAt } = await this.pick(now);
      this.nextSendAt = item ? now : wakeAt;
      if (item) {
        await this.send(item, firstContact ?? (await this.isFirstContact(item.request.body.to)));
        continue;
      }
      if (!this.items.length) return;
      if (this.kicked) {
        this.kicked = false;
        continue;
      }
      this.wake = new AbortController();
      await this.deps.clock.sleep(wakeAt === undefined ? Number.POSITIVE_INFINITY : wakeAt - now, this.wake.signal);
    }
  }

  /** The next send that may go now, or when to look again (undefined: when something changes). */
  private async pick(now: number): Promise<{ item?: QueuedSend; firstContact?: boolean; wakeAt?: number }> {
    if (!this.deps.sessions.find(this.session)?.socket) return {};
    const listener = this.listener();
    const ready = this.ordered().filter((item) => !listener?.isHeld(item));
    let wakeAt = Number.POSITIVE_INFINITY;
    const interactive = ready.find((item) => item.lane === 'interactive');
    if (interactive) {
      if (due(interactive) <= now) return { item: interactive };
      wakeAt = due(interactive);
    }
    const bulkLimit = this.limits.find('bulk');
    if (bulkLimit) {
      wakeAt = Math.min(wakeAt, bulkLimit.until ?? Number.POSITIVE_INFINITY);
    } else {
      const firstContactLimit = this.limits.find('first_contacts');
      for (const item of ready) {
        if (item.lane !== 'bulk') continue;
        const firstContact = await this.isFirstContact(item.request.body.to);
        if (firstContact && firstContactLimit) {
          wakeAt = Math.min(wakeAt, firstContactLimit.until ?? Number.POSITIVE_INFINITY);
          continue;
        }
        const at = Math.max(due(item), this.pacer.earliestBulk(now, firstContact));
        if (at <= now) return { item, firstContact };
        wakeAt = Math.min(wakeAt, at);
        // later items are due no earlier and pace the same, unless only the first-contact cap held this one
        if (!firstContact) break;
      }
    }
    return { wakeAt: Number.isFinite(wakeAt) ? wakeAt : undefined };
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
    const index = this.items.indexOf(item);
    if (index >= 0) this.items.splice(index, 1);
    await this.deps.items.delete(itemKey(item));
    if (item.mediaRef && !item.mediaRef.shared) await this.deps.media.delete(item.mediaRef.id);
  }

  private async update(item: QueuedSend, change: Partial<QueuedSend>): Promise<void> {
    Object.assign(item, change);
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

function due(item: QueuedSend): number {
  return Math.max(item.createdAt, item.sendAt ?? 0, item.notBefore ?? 0);
}


