/**
 * outbound/limits: the limits WhatsApp puts on a number, as the send queue keeps them: 429 rate-overlimit (bulk
 * backs off from a minute, doubling to 30 minutes), 463 restricted (bulk pauses `restrictedPauseMs`), the reach-out
 * time lock (until its end) and the new-chat cap (first contacts wait until the cycle ends). Every signal comes in
 * through `apply`; each change is announced as `session.limited`.
 */
import type { EventBus } from '../events/bus';
import type { WhatsAppLimitSignal } from '../sessions/types';
import { whatsappErrorCode } from '../whatsapp/errors';

export type LimitReason = 'rate_limited' | 'restricted' | 'reachout_timelock' | 'new_chat_cap';

export interface Limit {
  reason: LimitReason;
  /** `bulk`: the bulk lane waits; `first_contacts`: bulk sends to new chats wait. */
  scope: 'bulk' | 'first_contacts';
  code?: number;
  since: number;
  until?: number;
}

/** What the session reports from WhatsApp's events, and what a send meets (429). */
export type LimitSignal = WhatsAppLimitSignal | { kind: 'rate_limited' };

export interface LimitView {
  reason: LimitReason;
  scope: Limit['scope'];
  code?: number;
  since: string;
  until: string | null;
}

const RATE_LIMIT_BASE_MS = 60_000;
const RATE_LIMIT_MAX_MS = 30 * 60_000;

export class SessionLimits {
  private limits: Limit[] = [];
  private rateLimitStrikes = 0;

  constructor(
    private readonly session: string,
    private readonly bus: EventBus,
    /** Persists the limits and wakes the queue after a change. */
    private readonly changed: () => Promise<void>,
  ) {}

  load(limits: Limit[] | undefined): void {
    this.limits = limits ?? [];
  }

  all(): Limit[] {
    return this.limits;
  }

  find(scope: Limit['scope']): Limit | undefined {
    return this.limits.find((l) => l.scope === scope);
  }

  /** The one way a limit comes in. */
  async apply(signal: LimitSignal, now: number, restrictedPauseMs: number): Promise<void> {
    switch (signal.kind) {
      case 'rate_limited': {
        const pause = Math.min(RATE_LIMIT_BASE_MS * 2 ** this.rateLimitStrikes++, RATE_LIMIT_MAX_MS);
        return this.set({ reason: 'rate_limited', scope: 'bulk', code: 429, since: now, until: now + pause });
      }
      case 'restricted':
        return this.set({ reason: 'restricted', scope: 'bulk', code: 463, since: now, until: now + restrictedPauseMs });
      case 'reachout_timelock':
        if (signal.active) return this.set({ reason: 'reachout_timelock', scope: 'bulk', since: now, until: signal.until?.getTime() });
        await this.lift((limit) => limit.reason === 'reachout_timelock');
        return;
      case 'new_chat_cap':
        if (signal.total !== undefined && signal.used !== undefined && signal.used >= signal.total) {
          return this.set({ reason: 'new_chat_cap', scope: 'first_contacts', since: now, until: signal.cycleEnd });
        }
        await this.lift((limit) => limit.reason === 'new_chat_cap');
    }
  }

  /** A bulk send went through: the next rate limit backs off from the start again. */
  sent(): void {
    this.rateLimitStrikes = 0;
  }

  /** Lifts the limits matching `which`; answers whether any was in force. */
  async lift(which: (limit: Limit) => boolean): Promise<boolean> {
    const lifted = this.limits.filter(which);
    if (!lifted.length) return false;
    this.limits = this.limits.filter((l) => !which(l));
    await this.changed();
    for (const limit of lifted) await this.bus.publish('session.limited', this.session, limitEvent(limit, false));
    return true;
  }

  view(): LimitView[] {
    return this.limits.map((l) => ({ reason: l.reason, scope: l.scope, ...(l.code && { code: l.code }), since: new Date(l.since).toISOString(), until: iso(l.until) }));
  }

  private async set(limit: Limit): Promise<void> {
    const existing = this.limits.find((l) => l.reason === limit.reason);
    if (existing && existing.until === limit.until) return;
    this.limits = [...this.limits.filter((l) => l.reason !== limit.reason), limit];
    await this.changed();
    await this.bus.publish('session.limited', this.session, limitEvent(limit, true));
  }
}

export function isRateLimit(error: unknown): boolean {
  return whatsappErrorCode(error) === 429 || /rate-overlimit/.test((error as Error)?.message ?? '');
}

export function iso(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

function limitEvent(limit: Limit, active: boolean) {
  return { active, reason: limit.reason, scope: limit.scope, ...(limit.code && { code: limit.code }), since: new Date(limit.since).toISOString(), until: iso(limit.until) };
}
