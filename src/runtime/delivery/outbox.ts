/**
 * delivery/outbox: every produced event is written here before it counts as handled, with one delivery state per
 * matching subscription. Records are keyed by a zero-padded sequence number (the order events were produced);
 * finished records are kept for `retentionMs` (for replay and stream resume) and then expire. A new event is
 * written before `append` returns; a change of its delivery state is written with the others of the next
 * STATE_WRITE_MS (one transaction instead of one per POST): a crash in between only delivers the event again, under
 * its own id, as at-least-once allows.
 */
import type Keyv from 'keyv';
import type { RuntimeEvent } from '../events/schema';

export interface Attempt {
  at: string;
  statusCode?: number;
  latencyMs: number;
  error?: string;
}

export interface TargetState {
  status: 'pending' | 'delivered' | 'dead';
  attempts: Attempt[];
  /** When the current round of delivery started (event time, or the replay request). */
  since: number;
  nextAttemptAt?: number;
  deliveredAt?: string;
}

export interface OutboxRecord {
  seq: number;
  event: RuntimeEvent;
  targets: Record<string, TargetState>;
}

const SEQ_KEY = 'seq';
/** How many recent events stay parsed in memory for resumed streams (about 1 KB each). */
const RECENT_EVENTS = 5000;
/** The sequence is also in every record; the meta copy only matters once every record has expired. */
const SEQ_WRITE_EVERY = 100;
const STATE_WRITE_MS = 50;

export class Outbox {
  private seq = 0;
  /** Event id → sequence, for de-duplication and stream resume; entries leave with their records' retention. */
  private readonly ids = new Map<string, number>();
  /** [time written, event id], oldest first, to drop index entries whose records have expired. */
  private readonly written: [number, string][] = [];
  /** Recent events by sequence, shared by resumed streams: each is parsed once, not once per stream. */
  private readonly recent = new Map<number, RuntimeEvent>();
  /** Deleted session → when: its events are gone and none may be written back. */
  private readonly dropped = new Map<string, number>();
  /** Records whose delivery state changed since they were written, by sequence. */
  private readonly changed = new Map<number, OutboxRecord>();
  private changeTimer: NodeJS.Timeout | undefined;
  /** Set by the final flush: a delivery that ends after it is delivered again at the next start. */
  private flushed = false;

  constructor(
    private readonly kv: Keyv<OutboxRecord>,
    private readonly meta: Keyv<number>,
    private readonly retentionMs: number,
  ) {}

  /** Loads the sequence and the id index; returns the records that still have pending deliveries, in order. */
  async init(): Promise<OutboxRecord[]> {
    this.flushed = false;
    this.seq = (await this.meta.get(SEQ_KEY)) ?? 0;
    const pending: OutboxRecord[] = [];
    for (const record of await this.all()) {
      this.ids.set(record.event.id, record.seq);
      this.written.push([Date.parse(record.event.timestamp), record.event.id]);
      this.seq = Math.max(this.seq, record.seq);
      if (Object.values(record.targets).some((t) => t.status === 'pending')) pending.push(record);
    }
    return pending;
  }

  /** Writes a new event; returns undefined when an event with the same id was already written. */
  async append(event: RuntimeEvent, targets: string[]): Promise<OutboxRecord | undefined> {
    if (this.ids.has(event.id)) return undefined;
    const seq = ++this.seq;
    this.ids.set(event.id, seq);
    this.written.push([Date.now(), event.id]);
    this.forgetExpired();
    const since = Date.now();
    const record: OutboxRecord = { seq, event, targets: Object.fromEntries(targets.map((id) => [id, { status: 'pending', attempts: [], since }])) };
    this.keep(seq, event);
    await this.save(record);
    if (seq % SEQ_WRITE_EVERY === 0) await this.meta.set(SEQ_KEY, seq);
    return record;
  }

  /** Writes what waits and the sequence; the last call before the store closes. */
  async flush(): Promise<void> {
    this.flushed = true;
    await this.writeChanged();
    await this.meta.set(SEQ_KEY, this.seq);
  }

  async save(record: OutboxRecord): Promise<void> {
    this.changed.delete(record.seq);
    if (this.isDropped(record)) return;
    await this.kv.set(key(record.seq), record, this.ttlOf(record));
  }

  /** A record's delivery state changed: written with the other changes of the next STATE_WRITE_MS. */
  saveSoon(record: OutboxRecord): void {
    this.changed.set(record.seq, record);
    this.scheduleChanged();
  }

  private scheduleChanged(): void {
    if (!this.changed.size || this.flushed) return;
    this.changeTimer ??= setTimeout(() => {
      this.changeTimer = undefined;
      // a failed write keeps its records for the next one
      this.writeChanged().catch(() => this.scheduleChanged());
    }, STATE_WRITE_MS).unref();
  }

  private async writeChanged(): Promise<void> {
    clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    const records = [...this.changed.values()].filter((record) => !this.isDropped(record));
    this.changed.clear();
    if (!records.length) return;
    try {
      await this.kv.setMany(records.map((record) => ({ key: key(record.seq), value: record, ttl: this.ttlOf(record) })));
    } catch (error) {
      for (const record of records) if (!this.changed.has(record.seq)) this.changed.set(record.seq, record);
      throw error;
    }
  }

  /** A delivery that finishes after its session was deleted must not write the event back. */
  private isDropped(record: OutboxRecord): boolean {
    return Date.parse(record.event.timestamp) <= (this.dropped.get(record.event.session) ?? -1);
  }

  private ttlOf(record: OutboxRecord): number | undefined {
    return Object.values(record.targets).some((t) => t.status === 'pending') ? undefined : this.retentionMs;
  }

  async get(seq: number): Promise<OutboxRecord | undefined> {
    return this.changed.get(seq) ?? this.kv.get(key(seq));
  }

  private forgetExpired(): void {
    const horizon = Date.now() - this.retentionMs;
    while (this.written.length && this.written[0][0] < horizon) this.ids.delete(this.written.shift()![1]);
  }

  seqOf(eventId: string): number | undefined {
    return this.ids.get(eventId);
  }

  /** Deletes every event of a session. */
  async dropSession(session: string): Promise<void> {
    this.dropped.set(session, Date.now());
    for (const record of await this.all()) {
      if (record.event.session !== session) continue;
      this.ids.delete(record.event.id);
      this.recent.delete(record.seq);
      await this.kv.delete(key(record.seq));
    }
  }

  /**
   * The retained events after `seq`, in order, for stream resume: from the shared cache of recent events where it
   * has them, read from the store by key (a page at a time) where not.
   */
  async *eventsAfter(seq: number, pageSize = 100): AsyncGenerator<{ seq: number; event: RuntimeEvent }> {
    for (let from = seq + 1; from <= this.seq; from += pageSize) {
      const seqs = Array.from({ length: Math.min(pageSize, this.seq - from + 1) }, (_, i) => from + i);
      const missing = seqs.filter((s) => !this.recent.has(s));
      if (missing.length) {
        const records = await this.kv.getMany(missing.map(key));
        records.forEach((record) => record && this.keep(record.seq, record.event));
      }
      for (const s of seqs) {
        const event = this.recent.get(s);
        if (event && this.ids.has(event.id)) yield { seq: s, event };
      }
    }
  }

  private keep(seq: number, event: RuntimeEvent): void {
    this.recent.set(seq, event);
    if (this.recent.size > RECENT_EVENTS) this.recent.delete(this.recent.keys().next().value!);
  }

  /** Every retained record in sequence order. */
  async all(): Promise<OutboxRecord[]> {
    await this.writeChanged();
    const records: OutboxRecord[] = [];
    for await (const [, value] of this.kv.iterator!(this.kv.namespace)) if (value) records.push(value as OutboxRecord);
    return records.sort((a, b) => a.seq - b.seq);
  }
}

function key(seq: number): string {
  return String(seq).padStart(15, '0');
}
