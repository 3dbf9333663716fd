/**
 * store/journal: the inbound journal. A decrypted WhatsApp message is written here, synchronously, between its
 * decryption and the delivery receipt that tells WhatsApp it arrived (WhatsApp never sends an acknowledged message
 * again). An entry leaves once its event is in the outbox; what is left at a start is replayed. A local SQLite
 * file whatever the main store (a synchronous write is what makes "persisted before acknowledged" true).
 * Removals are collected and committed together every REMOVE_EVERY_MS: one that a crash loses only replays an
 * entry whose event the outbox already has, and the outbox drops it by its id.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { restrictDatabase } from './files';
import { inTransaction, WalCheckpoints } from './sqlite-store';

export interface JournalEntry {
  session: string;
  /** WhatsApp's message id (the stanza id). */
  id: string;
  /** The message stanza's attributes: the sender, chat, time and addressing of the message. */
  attrs: Record<string, string>;
  /** The decrypted `proto.Message`, encoded. */
  message: Uint8Array;
  /** The account's own JIDs when it arrived (they decide `fromMe` and the chat). */
  meId: string;
  meLid?: string;
}

/** What sessions need of a journal: the local file (synchronous) or, in cluster mode, the shared one on Redis. */
export interface Journal {
  add(entry: JournalEntry): void | Promise<void>;
  remove(session: string, ids: string[]): void;
  pending(session: string): JournalEntry[] | Promise<JournalEntry[]>;
  clear(session: string): void | Promise<void>;
  close(): void | Promise<void>;
}

type Row = { session: string; id: string; attrs: string; message: Uint8Array; me_id: string; me_lid: string | null };

/** Entries older than this are dropped at a start: Baileys never emitted them (for example, history carriers). */
const MAX_AGE_MS = 7 * 24 * 3600_000;
const REMOVE_EVERY_MS = 100;

export class InboundJournal implements Journal {
  private readonly db: DatabaseSync;
  private readonly stmts: Record<'add' | 'remove' | 'pending' | 'clear' | 'expire', StatementSync>;
  /** Entries to remove at the next commit of removals, as [session, id]. */
  private removals: [string, string][] = [];
  private removalTimer: NodeJS.Timeout | undefined;
  private readonly checkpoints: WalCheckpoints;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, 'journal.sqlite');
    this.db = new DatabaseSync(path);
    restrictDatabase(path);
    this.checkpoints = new WalCheckpoints(this.db);
    this.db.exec(`CREATE TABLE IF NOT EXISTS inbound (seq INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, id TEXT NOT NULL,
        attrs TEXT NOT NULL, message BLOB NOT NULL, me_id TEXT NOT NULL, me_lid TEXT, at INTEGER NOT NULL, UNIQUE (session, id))`);
    this.stmts = {
      add: this.db.prepare('INSERT OR REPLACE INTO inbound (session, id, attrs, message, me_id, me_lid, at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      remove: this.db.prepare('DELETE FROM inbound WHERE session = ? AND id = ?'),
      pending: this.db.prepare('SELECT session, id, attrs, message, me_id, me_lid FROM inbound WHERE session = ? ORDER BY seq'),
      clear: this.db.prepare('DELETE FROM inbound WHERE session = ?'),
      expire: this.db.prepare('DELETE FROM inbound WHERE at < ?'),
    };
    this.stmts.expire.run(Date.now() - MAX_AGE_MS);
  }

  /** Synchronous: when it returns, the entry is on disk (WAL), safe from a crash of the process. */
  add(entry: JournalEntry): void {
    this.checkpoints.written();
    this.stmts.add.run(entry.session, entry.id, JSON.stringify(entry.attrs), entry.message, entry.meId, entry.meLid ?? null, Date.now());
  }

  remove(session: string, ids: string[]): void {
    for (const id of ids) this.removals.push([session, id]);
    this.scheduleRemovals();
  }

  private scheduleRemovals(): void {
    this.removalTimer ??= setTimeout(() => {
      try {
        this.commitRemovals();
      } catch {
        // kept for the next try (a removal that never happens only means a replay the outbox drops)
        this.scheduleRemovals();
      }
    }, REMOVE_EVERY_MS).unref();
  }

  private commitRemovals(): void {
    clearTimeout(this.removalTimer);
    this.removalTimer = undefined;
    if (!this.removals.length) return;
    const removals = this.removals;
    this.removals = [];
    try {
      this.checkpoints.written();
      inTransaction(this.db, () => {
        for (const [session, id] of removals) this.stmts.remove.run(session, id);
      });
    } catch (error) {
      this.removals.unshift(...removals);
      throw error;
    }
  }

  /** The session's entries in the order they were written. */
  pending(session: string): JournalEntry[] {
    this.commitRemovals();
    return (this.stmts.pending.all(session) as Row[]).map((row) => ({
      session: row.session,
      id: row.id,
      attrs: JSON.parse(row.attrs) as Record<string, string>,
      message: row.message,
      meId: row.me_id,
      ...(row.me_lid && { meLid: row.me_lid }),
    }));
  }

  clear(session: string): void {
    this.commitRemovals();
    this.checkpoints.written();
    this.stmts.clear.run(session);
  }

  close(): void {
    if (!this.db.isOpen) return;
    this.checkpoints.stop();
    this.commitRemovals();
    this.db.close();
  }
}
