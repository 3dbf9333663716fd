/**
 * usage/: what was used, per day (UTC), session and API key: messages received and sent by kind, media bytes in and
 * out, API calls, webhook deliveries and failures (`UsageMeter`), and the request log (`requests.ts`). Counts
 * gather in memory and are added to the stored day at most every few seconds, and before every query, so that a
 * query sees everything counted so far.
 */
import type Keyv from 'keyv';
import type { EventBus } from '../events/bus';
import type { MessageEventData } from '../events/schema';

export interface UsageCounts {
  received: Record<string, number>;
  sent: Record<string, number>;
  mediaBytesIn: number;
  mediaBytesOut: number;
  apiCalls: number;
  webhookDeliveries: number;
  webhookFailures: number;
}

export interface UsageRow extends UsageCounts {
  day: string;
  session: string;
  /** The API key of the API calls; `-` for what no key did (messages, deliveries). */
  key: string;
}

export interface UsageQuery {
  from: string;
  to: string;
  session?: string;
  key?: string;
  /** Sessions a key may see (`*`: all). */
  sessions?: '*' | string[];
}

const FLUSH_EVERY_MS = 5000;
const NO_KEY = '-';

function empty(): UsageCounts {
  return { received: {}, sent: {}, mediaBytesIn: 0, mediaBytesOut: 0, apiCalls: 0, webhookDeliveries: 0, webhookFailures: 0 };
}

export function addCounts(into: UsageCounts, from: UsageCounts): UsageCounts {
  for (const side of ['received', 'sent'] as const) for (const [kind, n] of Object.entries(from[side])) into[side][kind] = (into[side][kind] ?? 0) + n;
  into.mediaBytesIn += from.mediaBytesIn;
  into.mediaBytesOut += from.mediaBytesOut;
  into.apiCalls += from.apiCalls;
  into.webhookDeliveries += from.webhookDeliveries;
  into.webhookFailures += from.webhookFailures;
  return into;
}

export class UsageMeter {
  private pending = new Map<string, UsageCounts>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly kv: Keyv<UsageRow>,
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts messages as the bus carries them; returns the unsubscribe function. */
  watch(bus: EventBus): () => void {
    return bus.subscribe((event) => {
      if (event.type !== 'message.received' && event.type !== 'message.sent') return;
      const data = event.data as unknown as MessageEventData;
      const counts = this.bucket(event.session, NO_KEY);
      const side = event.type === 'message.received' ? 'received' : 'sent';
      counts[side][data.kind] = (counts[side][data.kind] ?? 0) + 1;
      const bytes = data.media?.fileLength ?? 0;
      if (side === 'received') counts.mediaBytesIn += bytes;
      else counts.mediaBytesOut += bytes;
    });
  }

  apiCall(session: string | undefined, key: string | undefined): void {
    this.bucket(session ?? NO_KEY, key ?? NO_KEY).apiCalls++;
  }

  webhook(session: string, delivered: boolean): void {
    const counts = this.bucket(session, NO_KEY);
    if (delivered) counts.webhookDeliveries++;
    else counts.webhookFailures++;
  }

  async query(query: UsageQuery): Promise<UsageRow[]> {
    await this.flush();
    const rows: UsageRow[] = [];
    for await (const [, value] of this.kv.iterator!(this.kv.namespace)) {
      const row = value as UsageRow;
      if (row.day < query.from || row.day > query.to) continue;
      if (query.session && row.session !== query.session) continue;
      if (query.key && row.key !== query.key) continue;
      if (query.sessions && query.sessions !== '*' && !query.sessions.includes(row.session)) continue;
      rows.push(row);
    }
    return rows.sort((a, b) => a.day.localeCompare(b.day) || a.session.localeCompare(b.session) || a.key.localeCompare(b.key));
  }

  /** Adds what was counted to the stored days; one flush at a time, in order. */
  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(async () => {
      for (const [id, counts] of batch) {
        const [day, session, key] = id.split('|');
        const stored = (await this.kv.get(id)) ?? { day, session, key, ...empty() };
        await this.kv.set(id, { ...addCounts(stored, counts), day, session, key }, this.retentionMs);
      }
    });
    return this.flushing;
  }

  /** Forgets a deleted session's usage. */
  async dropSession(session: string): Promise<void> {
    await this.flush();
    const ids: string[] = [];
    for await (const [, value] of this.kv.iterator!(this.kv.namespace)) {
      const row = value as UsageRow;
      if (row.session === session) ids.push(`${row.day}|${row.session}|${row.key}`);
    }
    for (const id of ids) await this.kv.delete(id);
  }

  stop(): Promise<void> {
    return this.flush();
  }

  private bucket(session: string, key: string): UsageCounts {
    const id = `${new Date(this.now()).toISOString().slice(0, 10)}|${session}|${key}`;
    let counts = this.pending.get(id);
    if (!counts) {
      counts = empty();
      this.pending.set(id, counts);
    }
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_EVERY_MS).unref();
    return counts;
  }
}
