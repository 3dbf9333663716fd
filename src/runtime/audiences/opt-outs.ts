/**
 * audiences/opt-outs: who asked a session's number to stop writing. A contact who writes an opt-out keyword (the
 * whole message, trimmed, any case: STOP, UNSUBSCRIBE, CANCEL, PARAR, SAIR, BAJA by default) is opted out for the
 * session, in every list at once (the registry is per session, lists read it), and may get a confirmation; START
 * opts back in. Opted-out numbers are skipped by campaigns and refused for direct sends, except a reply within 24
 * hours of a message of theirs written after the opt-out (recorded here for opted-out numbers only).
 */
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { MessageEventData } from '../events/schema';
import { toE164 } from './phones';

export interface OptOutRecord {
  session: string;
  phone: string;
  optedOut: boolean;
  at: string;
  how: 'keyword' | 'api';
  keyword?: string;
  /** Unix ms of the contact's latest message while opted out. */
  lastInboundAt?: number;
}

export interface OptOutSettings {
  optOutKeywords: string[];
  optInKeywords: string[];
  /** Sent back when someone opts out; none when empty. */
  confirmation?: string;
  optInConfirmation?: string;
}

const REPLY_WINDOW_MS = 24 * 3600_000;

export class OptOuts {
  private readonly records = new Map<string, OptOutRecord>();
  private unsubscribe?: () => void;

  constructor(
    private readonly kv: Keyv<OptOutRecord>,
    private readonly bus: EventBus,
    private readonly settings: OptOutSettings,
    private readonly reply: (session: string, to: string, text: string) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    for await (const [, value] of this.kv.iterator!(this.kv.namespace)) {
      const record = value as OptOutRecord;
      this.records.set(keyOf(record.session, record.phone), record);
    }
    const optOut = new Set(this.settings.optOutKeywords.map(normalise));
    const optIn = new Set(this.settings.optInKeywords.map(normalise));
    this.unsubscribe = this.bus.subscribe((event) => {
      if (event.type !== 'message.received') return;
      const data = event.data as unknown as MessageEventData;
      if (data.fromMe || data.chatType !== 'direct' || !data.fromPhoneNumber) return;
      const phone = `+${data.fromPhoneNumber}`;
      const word = data.text !== undefined ? normalise(data.text) : undefined;
      const work = word && optOut.has(word) ? this.keyword(event.session, phone, data, word, true) : word && optIn.has(word) ? this.keyword(event.session, phone, data, word, false) : this.noteInbound(event.session, phone);
      void work.catch((error: unknown) => this.logger.warn({ err: error, session: event.session }, 'could not record an opt-out'));
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  isOptedOut(session: string, phone: string): boolean {
    return this.records.get(keyOf(session, phone))?.optedOut === true;
  }

  /** When and how the number opted out, while it is. */
  optOutOf(session: string, phone: string): Pick<OptOutRecord, 'at' | 'how' | 'keyword'> | undefined {
    const record = this.records.get(keyOf(session, phone));
    return record?.optedOut ? { at: record.at, how: record.how, ...(record.keyword && { keyword: record.keyword }) } : undefined;
  }

  /** Whether a direct send to `to` (a number or a phone JID) must be refused: opted out, and no message of theirs in 24 h. */
  refusesDirect(session: string, to: string): boolean {
    // no opt-outs at all (the common case): no number to parse (libphonenumber is the dearest step of a send's checks)
    if (!this.records.size) return false;
    const phone = phoneOf(to);
    const record = phone ? this.records.get(keyOf(session, phone)) : undefined;
    if (!record?.optedOut) return false;
    return !(record.lastInboundAt && Date.now() - record.lastInboundAt < REPLY_WINDOW_MS);
  }

  list(session: string): OptOutRecord[] {
    return [...this.records.values()].filter((r) => r.session === session && r.optedOut).sort((a, b) => b.at.localeCompare(a.at));
  }

  /** Sets a number's state by API; answers the record and whether it changed. */
  async set(session: string, phone: string, optedOut: boolean): Promise<{ record: OptOutRecord; changed: boolean }> {
    const changed = this.isOptedOut(session, phone) !== optedOut;
    const record = await this.save({ session, phone, optedOut, at: new Date().toISOString(), how: 'api' });
    if (changed) await this.bus.publish(optedOut ? 'contact.opted_out' : 'contact.opted_in', session, { phone, how: 'api' });
    return { record, changed };
  }

  async dropSession(session: string): Promise<void> {
    for (const record of [...this.records.values()].filter((r) => r.session === session)) {
      this.records.delete(keyOf(session, record.phone));
      await this.kv.delete(keyOf(session, record.phone));
    }
  }

  private async keyword(session: string, phone: string, data: MessageEventData, keyword: string, optedOut: boolean): Promise<void> {
    const was = this.isOptedOut(session, phone);
    // the keyword itself opens no reply window: only the contact's later messages do
    await this.save({ session, phone, optedOut, at: new Date().toISOString(), how: 'keyword', keyword });
    if (was === optedOut) return;
    await this.bus.publish(optedOut ? 'contact.opted_out' : 'contact.opted_in', session, { phone, chatId: data.chatId, how: 'keyword', keyword });
    const text = optedOut ? this.settings.confirmation : this.settings.optInConfirmation;
    if (text) await this.reply(session, data.chatId, text);
  }

  private async noteInbound(session: string, phone: string): Promise<void> {
    const record = this.records.get(keyOf(session, phone));
    if (record?.optedOut) await this.save({ ...record, lastInboundAt: Date.now() });
  }

  private async save(record: OptOutRecord): Promise<OptOutRecord> {
    this.records.set(keyOf(record.session, record.phone), record);
    await this.kv.set(keyOf(record.session, record.phone), record);
    return record;
  }
}

function keyOf(session: string, phone: string): string {
  return `${session}|${phone}`;
}

function normalise(text: string): string {
  return text.trim().toLowerCase();
}

/**
 * E.164 of a number or a phone-number JID; undefined for groups and LIDs. A JID's user part already is the E.164
 * digits (as inbound records are keyed), so only a number as written goes through libphonenumber.
 */
export function phoneOf(to: string): string | undefined {
  if (/@(g\.us|lid|broadcast|newsletter)$/.test(to)) return undefined;
  if (!to.includes('@')) return toE164(to);
  const user = to.split('@')[0].split(':')[0];
  return /^\d{6,15}$/.test(user) ? `+${user}` : undefined;
}
