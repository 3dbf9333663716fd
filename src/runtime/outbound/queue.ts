/**
 * outbound/queue: the per-session send queue. Queued sends are persisted (one record each, media stored once by
 * reference) and survive restarts. Two lanes: interactive sends go as soon as they are due; bulk sends wait for the
 * session's pacing (gap with jitter, caps, first-contact cap) and stop while WhatsApp limits the number (429
 * rate-overlimit, 463 restricted, reach-out time lock, new-chat cap), announced as `session.limited`.
 * Each queued send owns the message id it is sent under, chosen when it was queued: a send interrupted by a crash
 * is repeated under the same id, which recipients de-duplicate, so nothing is lost and nothing arrives twice.
 */
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { RuntimeEvent } from '../events/schema';
import { ApiError } from '../errors';
import { whatsappErrorCode } from '../whatsapp/errors';
import type { MediaInput } from '../messages/media-input';
import { phoneNumberOf } from '../messages/recipients';
import type { MessageSender, SendRequest, SendResult } from '../messages/sender';
import type { SessionManager } from '../sessions/manager';
import type { WhatsAppLimitSignal } from '../sessions/types';
import type { Clock } from './clock';
import { Pacer, pacingOf, type PacingSettings, type PacingState } from './pacing';

export type Lane = 'interactive' | 'bulk';

/** A queued request: media is replaced by a reference to the stored file. */
export type StoredRequest = { kind: SendRequest['kind']; body: Record<string, unknown> & { to: string } };

export interface QueuedSend {
  /** The WhatsApp message id this send goes out under. */
  id: string;
  session: string;
  lane: Lane;
  request: StoredRequest;
  /** Shared media (a campaign's) is kept until its owner deletes it. */
  mediaRef?: { id: string; shared: boolean };
  sendAt?: number;
  createdAt: number;
  seq: number;
  attempts: number;
  notBefore?: number;
  lastError?: string;
  campaignId?: string;
  recipientIndex?: number;
}

export type LimitReason = 'rate_limited' | 'restricted' | 'reachout_timelock' | 'new_chat_cap';

export interface Limit {
  reason: LimitReason;
  /** `bulk`: the bulk lane waits; `first_contacts`: bulk sends to new chats wait. */
  scope: 'bulk' | 'first_contacts';
  code?: number;
  since: number;
  until?: number;
}

export type Settled = { status: 'sent'; result: SendResult } | { status: 'failed'; reason: string } | { status: 'cancelled' };

/** What campaigns tell the queue and hear back. */
export interface QueueListener {
  isHeld(item: QueuedSend): boolean;
  onSettled(item: QueuedSend, outcome: Settled): Promise<void>;
}

export interface OutboundStatus {
  session: string;
  lanes: Record<Lane, { queued: number; nextDueAt: string | null }>;
  nextSendAt: string | null;
  limits: { reason: LimitReason; scope: Limit['scope']; code?: number; since: string; until: string | null }[];
  usage: ReturnType<Pacer['usage']>;
  settings: PacingSettings;
}

interface SessionState {
  pacing?: PacingState;
  limits: Limit[];
}

const MAX_ATTEMPTS = 5;
const RATE_LIMIT_BASE_MS = 60_000;
const RATE_LIMIT_MAX_MS = 30 * 60_000;
const STATE_SAVE_DELAY_MS = 1_000;

export interface OutboundDeps {
  items: Keyv<QueuedSend>;
  media: Keyv<MediaInput>;
  state: Keyv<SessionState>;
  bus: EventBus;
  sender: MessageSender;
  sessions: SessionManager;
  clock: Clock;
  logger: Logger;
  random?: () => number;
}

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
    const loaded: QueuedSend[] = [];
    for await (const [, value] of this.deps.items.iterator!(this.deps.items.namespace)) loaded.push(value as QueuedSend);
    loaded.sort((a, b) => a.seq - b.seq);
    this.seq = loaded.reduce((max, item) => Math.max(max, item.seq), this.seq);
    for (const item of loaded) {
      const queue = await this.queue(item.session);
      // the API listens before the queue starts: a send queued in between is already here
      if (!queue.items.some((queued) => queued.id === item.id)) queue.items.push(item);
    }
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event));
    for (const queue of this.queues.values()) queue.kick();
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
    const existing = queue.items.find((item) => item.id === input.id);
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
    const item: QueuedSend = { ...rest, session, request: { kind: request.kind, body }, ...(mediaRef && { mediaRef }), createdAt: this.deps.clock.now(), seq: ++this.seq, attempts: 0 };
    await this.deps.items.set(itemKey(item), item);
    queue.items.push(item);
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
      await queue.rateLimited();
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
    return (await this.queue(session)).lift(() => true);
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

  /** What Baileys reports about the account's limits (reach-out time lock, new-chat message cap). */
  async onWhatsAppLimit(session: string, signal: WhatsAppLimitSignal): Promise<void> {
    const queue = await this.queue(session);
    const now = this.deps.clock.now();
    if (signal.kind === 'reachout_timelock') {
      if (signal.active) await queue.limit({ reason: 'reachout_timelock', scope: 'bulk', since: now, until: signal.until?.getTime() });
      else await queue.lift((limit) => limit.reason === 'reachout_timelock');
      return;
    }
    if (signal.total !== undefined && signal.used !== undefined && signal.used >= signal.total) {
      await queue.limit({ reason: 'new_chat_cap', scope: 'first_contacts', since: now, until: signal.cycleEnd });
    } else {
      await queue.lift((limit) => limit.reason === 'new_chat_cap');
    }
  }

  private onEvent(event: RuntimeEvent): void {
    if (event.type === 'session.status' && (event.data as { status?: string }).status === 'connected') {
      this.queues.get(event.session)?.kick();
    } else if (event.type === 'message.status') {
      const data = event.data as { status?: string; fromMe?: boolean; reason?: string };
      // WhatsApp refused a message of ours as restricted: bulk stops before it makes things worse
      if (data.fromMe && data.status === 'failed' && /^463\b/.test(data.reason ?? '')) {
        void this.queue(event.session).then((queue) => queue.restricted());
      }
    }
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

class SessionQueue {
  readonly items: QueuedSend[] = [];
  private readonly pacer: Pacer;
  private limits: Limit[] = [];
  private rateLimitStrikes = 0;
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
  }

  load(): Promise<void> {
    this.loaded ??= (async () => {
      const state = await this.deps.state.get(this.session);
      this.pacer.load(state?.pacing);
      this.limits = state?.limits ?? [];
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
    this.running = this.run()
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
    if (lane === 'bulk') this.rateLimitStrikes = 0;
    this.scheduleSave();
  }

  async rateLimited(): Promise<void> {
    const now = this.deps.clock.now();
    const pause = Math.min(RATE_LIMIT_BASE_MS * 2 ** this.rateLimitStrikes++, RATE_LIMIT_MAX_MS);
    await this.limit({ reason: 'rate_limited', scope: 'bulk', code: 429, since: now, until: now + pause });
  }

  async restricted(): Promise<void> {
    const now = this.deps.clock.now();
    await this.limit({ reason: 'restricted', scope: 'bulk', code: 463, since: now, until: now + this.pacer.settings.restrictedPauseMs });
  }

  async limit(limit: Limit): Promise<void> {
    const existing = this.limits.find((l) => l.reason === limit.reason);
    if (existing && existing.until === limit.until) return;
    this.limits = [...this.limits.filter((l) => l.reason !== limit.reason), limit];
    await this.saveState();
    await this.deps.bus.publish('session.limited', this.session, limitEvent(limit, true));
    this.kick();
  }

  /** Lifts the limits matching `which`; answers whether any was in force. */
  async lift(which: (limit: Limit) => boolean): Promise<boolean> {
    const lifted = this.limits.filter(which);
    if (!lifted.length) return false;
    this.limits = this.limits.filter((l) => !which(l));
    await this.saveState();
    for (const limit of lifted) await this.deps.bus.publish('session.limited', this.session, limitEvent(limit, false));
    this.kick();
    return true;
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
      limits: this.limits.map((l) => ({ reason: l.reason, scope: l.scope, ...(l.code && { code: l.code }), since: new Date(l.since).toISOString(), until: iso(l.until) })),
      usage: this.pacer.usage(now),
      settings: this.pacer.settings,
    };
  }

  private async run(): Promise<void> {
    await this.load();
    while (!this.stopped) {
      const now = this.deps.clock.now();
      await this.lift((limit) => limit.until !== undefined && limit.until <= now);
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
    const bulkLimit = this.limits.find((l) => l.scope === 'bulk');
    if (bulkLimit) {
      wakeAt = Math.min(wakeAt, bulkLimit.until ?? Number.POSITIVE_INFINITY);
    } else {
      const firstContactLimit = this.limits.find((l) => l.scope === 'first_contacts');
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
      const result = await sender.send(this.session, request, item.id, {
        beforeSend: settings.typing && text
          ? async ({ sock, to }) => {
              await sock.sendPresenceUpdate('composing', to);
              await clock.sleep(Math.min(text.length * settings.typingMsPerChar, settings.typingMaxMs), new AbortController().signal);
              await sock.sendPresenceUpdate('paused', to);
            }
          : undefined,
      });
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
      await this.rateLimited();
      await this.update(item, { notBefore: this.limits.find((l) => l.reason === 'rate_limited')?.until, lastError: message });
      return;
    }
    if (error instanceof ApiError && error.code === 'session_not_connected') return;
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
      await this.deps.bus.publish('message.status', this.session, { messageId: item.id, chatId, fromMe: true, status: 'failed', reason: outcome.reason }, `${chatId}|${item.id}|failed`);
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
    await this.deps.state.set(this.session, { pacing: this.pacer.snapshot(), limits: this.limits });
  }
}

function itemKey(item: QueuedSend): string {
  return `${item.session}|${item.id}`;
}

function due(item: QueuedSend): number {
  return Math.max(item.createdAt, item.sendAt ?? 0, item.notBefore ?? 0);
}

function iso(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

function isRateLimit(error: unknown): boolean {
  return whatsappErrorCode(error) === 429 || /rate-overlimit/.test((error as Error)?.message ?? '');
}

function limitEvent(limit: Limit, active: boolean) {
  return { active, reason: limit.reason, scope: limit.scope, ...(limit.code && { code: limit.code }), since: new Date(limit.since).toISOString(), until: iso(limit.until) };
}
