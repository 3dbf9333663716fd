/**
 * store/sequence-log: an append-only log on a Keyv namespace. Entries are keyed by a zero-padded sequence number, so
 * reading backwards from a cursor is a few `getMany` pages, never a scan of the namespace; they expire with the
 * retention. The last sequence number is kept beside them. Used by the audit log and the request log.
 */
import type Keyv from 'keyv';

const SEQ_KEY = 'seq';
const PAGE = 200;
/** A filtered read looks at most this many entries per call, so a rare filter cannot read the whole log at once. */
const SCAN_LIMIT = 5000;

export interface Page<T> {
  entries: T[];
  /** Pass as `before` for the next (older) page; null at the start of the log. */
  nextCursor: number | null;
}

export class SequenceLog<T extends { seq: number }> {
  private seq = 0;

  constructor(
    private readonly kv: Keyv<T>,
    private readonly meta: Keyv<number>,
    private readonly retentionMs: number,
  ) {}

  async load(): Promise<void> {
    this.seq = (await this.meta.get(SEQ_KEY)) ?? 0;
  }

  next(): number {
    return ++this.seq;
  }

  async write(entries: T[]): Promise<void> {
    if (!entries.length) return;
    await this.kv.setMany(entries.map((entry) => ({ key: key(entry.seq), value: entry, ttl: this.retentionMs })));
    await this.meta.set(SEQ_KEY, Math.max(...entries.map((entry) => entry.seq)));
  }

  /** Entries older than `before` (newest first) that pass `keep`, at most `limit`. */
  async before(before: number | undefined, limit: number, keep: (entry: T) => boolean): Promise<Page<T>> {
    const entries: T[] = [];
    let cursor = Math.min(before ?? this.seq + 1, this.seq + 1);
    let scanned = 0;
    while (cursor > 1 && entries.length < limit && scanned < SCAN_LIMIT) {
      const from = Math.max(1, cursor - PAGE);
      const keys = Array.from({ length: cursor - from }, (_, i) => key(cursor - 1 - i));
      const page = await this.kv.getMany(keys);
      scanned += keys.length;
      for (const entry of page) {
        cursor--;
        if (entry && keep(entry)) {
          entries.push(entry);
          if (entries.length === limit) break;
        }
      }
    }
    return { entries, nextCursor: cursor > 1 ? cursor : null };
  }
}

function key(seq: number): string {
  return String(seq).padStart(15, '0');
}
