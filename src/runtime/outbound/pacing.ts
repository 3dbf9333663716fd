/**
 * outbound/pacing: when the next bulk send of a session may go. A random gap between bulk sends (jitter between a
 * minimum and a maximum), rolling caps per minute, hour and day counting every send of the session, and a daily cap
 * on first contacts (chats with no earlier message). Pure logic over timestamps; the queue supplies the clock.
 */
export interface PacingSettings {
  /** Gap between two bulk sends: a random value between these, in milliseconds. */
  minGapMs: number;
  maxGapMs: number;
  /** Caps on sends (both lanes count; only bulk waits for them); null means no cap. */
  perMinute: number | null;
  perHour: number | null;
  perDay: number | null;
  /** Bulk sends to chats with no earlier message, per rolling 24 hours; null means no cap. */
  firstContactsPerDay: number | null;
  /** Show "typing…" before a queued text, for `typingMsPerChar` per character, at most `typingMaxMs`. */
  typing: boolean;
  typingMsPerChar: number;
  typingMaxMs: number;
  /** How long bulk pauses after WhatsApp refuses a send as restricted (463) when it gives no end time. */
  restrictedPauseMs: number;
}

/** A session's pacing: its stored settings (validated by the settings route) over the defaults. */
export function pacingOf(stored: Record<string, number | boolean | null> | undefined): PacingSettings {
  return { ...DEFAULT_PACING, ...(stored as Partial<PacingSettings> | undefined) };
}

/** Conservative defaults: about one bulk message every 5-15 s, well below the rates reported to trigger bans. */
export const DEFAULT_PACING: PacingSettings = {
  minGapMs: 5_000,
  maxGapMs: 15_000,
  perMinute: 8,
  perHour: 200,
  perDay: 1_000,
  firstContactsPerDay: 50,
  typing: false,
  typingMsPerChar: 40,
  typingMaxMs: 6_000,
  restrictedPauseMs: 3_600_000,
};

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface PacingState {
  /** Times of the sends of the last 24 hours, oldest first. */
  sends: number[];
  /** Times of first-contact sends of the last 24 hours. */
  firstContacts: number[];
  lastBulkAt?: number;
  /** The gap drawn after the last bulk send. */
  gapMs: number;
}

export interface CapUsage {
  used: number;
  limit: number | null;
}

export class Pacer {
  private state: PacingState = { sends: [], firstContacts: [], gapMs: 0 };

  constructor(
    public settings: PacingSettings,
    private readonly random: () => number = Math.random,
  ) {}

  load(state: PacingState | undefined): void {
    if (state) this.state = { ...state, sends: [...state.sends], firstContacts: [...state.firstContacts] };
  }

  snapshot(): PacingState {
    return { ...this.state, sends: [...this.state.sends], firstContacts: [...this.state.firstContacts] };
  }

  record(at: number, send: { lane: 'interactive' | 'bulk'; firstContact: boolean }): void {
    this.prune(at);
    this.state.sends.push(at);
    if (send.firstContact) this.state.firstContacts.push(at);
    if (send.lane === 'bulk') {
      this.state.lastBulkAt = at;
      const { minGapMs, maxGapMs } = this.settings;
      this.state.gapMs = Math.round(minGapMs + this.random() * Math.max(0, maxGapMs - minGapMs));
    }
  }

  /** The earliest time (ms) a bulk send may go, `now` or later. */
  earliestBulk(now: number, firstContact: boolean): number {
    this.prune(now);
    const { sends, firstContacts, lastBulkAt, gapMs } = this.state;
    const { perMinute, perHour, perDay, firstContactsPerDay } = this.settings;
    const candidates = [now, lastBulkAt === undefined ? now : lastBulkAt + Math.min(gapMs, this.settings.maxGapMs)];
    candidates.push(freeAt(sends, perMinute, MINUTE, now), freeAt(sends, perHour, HOUR, now), freeAt(sends, perDay, DAY, now));
    if (firstContact) candidates.push(freeAt(firstContacts, firstContactsPerDay, DAY, now));
    return Math.max(...candidates);
  }

  usage(now: number): { perMinute: CapUsage; perHour: CapUsage; perDay: CapUsage; firstContactsPerDay: CapUsage } {
    this.prune(now);
    const within = (times: number[], window: number) => times.filter((t) => t > now - window).length;
    const { perMinute, perHour, perDay, firstContactsPerDay } = this.settings;
    return {
      perMinute: { used: within(this.state.sends, MINUTE), limit: perMinute },
      perHour: { used: within(this.state.sends, HOUR), limit: perHour },
      perDay: { used: within(this.state.sends, DAY), limit: perDay },
      firstContactsPerDay: { used: within(this.state.firstContacts, DAY), limit: firstContactsPerDay },
    };
  }

  private prune(now: number): void {
    const since = now - DAY;
    while (this.state.sends.length && this.state.sends[0] <= since) this.state.sends.shift();
    while (this.state.firstContacts.length && this.state.firstContacts[0] <= since) this.state.firstContacts.shift();
  }
}

/** When the rolling window of `windowMs` ending at `now`, holding `times` (oldest first), has room under `cap`. */
function freeAt(times: number[], cap: number | null, windowMs: number, now: number): number {
  if (cap === null) return 0;
  const inWindow = times.filter((t) => t > now - windowMs);
  if (inWindow.length < cap) return 0;
  // the send that has to leave the window before another may go
  return inWindow[inWindow.length - cap] + windowMs;
}
