/**
 * store/journal: the inbound journal. A decrypted WhatsApp message is written here between its decryption and the
 * delivery receipt that tells WhatsApp it arrived (WhatsApp never sends an acknowledged message again). An entry
 * leaves once its event is in the outbox; what is left at a start is replayed. A table of SQLite: in the main
 * database on the default backend, where an entry joins the group commit that writes the Signal session its
 * decryption advanced (both land, or neither); in a file of its own (`journal.sqlite`) beside Redis or PostgreSQL,
 * committed before the key write starts.
 * Removals are collected and committed together every REMOVE_EVERY_MS: one that a crash loses only replays an
 * entry whose event the outbox already has, and the outbox drops it by its id.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { SqliteDatabase } from './sqlite-store';

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

/** What sessions need of a journal: a local SQLite table or, in cluster mode, the shared one on Redis. */
export interface Journal {
  /**
   * Resolves once the entry is committed. With `committedWithKeys` it is committed in the same transaction as the
   * Signal keys written after it, or an earlier one: the decryption need not wait for it before its key commit.
   */
  add(entry: JournalEntry): Promise<void>;
  readonly committedWithKeys: boolean;
  remove(session: string, ids: string[]): void;
  pending(session: string): JournalEntry[] | Promise<JournalEntry[]>;
  clear(session: string): void | Promise<void>;
  close(): void | Promise<void>;
}

type Row = { session: string; id: string; attrs: string; message: Uint8Array; me_id: string; me_lid: string | null };

/** Entries older than this are dropped at a start: Baileys never emitted them (for example, history carriers). */
const MAX_AGE_MS = 7 * 24 * 3600_000;
const REMOVE_EVERY_MS = 100;
/** The journal's own file, beside a Redis or PostgreSQL store (and on the default backend before 2026-12). */
const JOURNAL_FILE = 'journal.sqlite';
const COLUMNS = 'session, id, attrs, message, me_id, me_lid, at';

export class InboundJournal implements Journal {
  private readonly stmts: Record<'add' | 'remove' | 'pending' | 'clear', StatementSync>;
  /** Entries to remove at the next commit of removals, as [session, id]. */
  private removals: [string, string][] = [];
  private removalTimer: NodeJS.Timeout | undefined;

  /**
   * The journal's table in `db`: the main store's database (`committedWithKeys`, the Signal keys are written there
   * too), or a file of its own that the journal closes with itself.
   */
  constructor(
    private readonly db: SqliteDatabase,
    readonly committedWithKeys: boolean,
  ) {
    // the rowid orders entries: a new one is above every entry still there, which is all the order replay needs
    db.exec(`CREATE TABLE IF NOT EXISTS inbound (seq INTEGER PRIMARY KEY, session TEXT NOT NULL, id TEXT NOT NULL,
        attrs TEXT NOT NULL, message BLOB NOT NULL, me_id TEXT NOT NULL, me_lid TEXT, at INTEGER NOT NULL, UNIQUE (session, id))`);
    this.stmts = {
      add: db.prepare(`INSERT OR REPLACE INTO inbound (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      remove: db.prepare('DELETE FROM inbound WHERE session = ? AND id = ?'),
      pending: db.prepare('SELECT session, id, attrs, message, me_id, me_lid FROM inbound WHERE session = ? ORDER BY seq'),
      clear: db.prepare('DELETE FROM inbound WHERE session = ?'),
    };
    db.prepare('DELETE FROM inbound WHERE at < ?').run(Date.now() - MAX_AGE_MS);
  }

  /** A journal in its own file in `dataDir` (beside a Redis or PostgreSQL store). */
  static ownFile(dataDir: string): InboundJournal {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return new InboundJournal(new SqliteDatabase(join(dataDir, JOURNAL_FILE)), false);
  }

  /**
   * The journal in the main store's database; entries a journal file of an earlier release still holds are moved
   * in first (in their order; a crash before the file is removed moves them again, replacing the same rows).
   */
  static inStore(db: SqliteDatabase, dataDir: string): InboundJournal {
    const journal = new InboundJournal(db, true);
    const file = join(dataDir, JOURNAL_FILE);
    if (!existsSync(file)) return journal;
    const old = new DatabaseSync(file);
    const rows = old.prepare(`SELECT ${COLUMNS} FROM inbound ORDER BY seq`).all() as (Row & { at: number })[];
    old.close();
    db.transaction(() => {
      for (const row of rows) journal.stmts.add.run(row.session, row.id, row.attrs, row.message, row.me_id, row.me_lid, row.at);
    });
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    return journal;
  }

  add(entry: JournalEntry): Promise<void> {
    const { session, id, attrs, message, meId, meLid } = entry;
    const attrsText = JSON.stringify(attrs);
    const at = Date.now();
    return this.db.run(() => this.stmts.add.run(session, id, attrsText, message, meId, meLid ?? null, at));
  }

  remove(session: string, ids: string[]): void {
    for (const id of ids) this.removals.push([session, id]);
    this.scheduleRemovals();
  }

  private scheduleRemovals(): void {
    this.removalTimer ??= setTimeout(() => this.commitRemovals(), REMOVE_EVERY_MS).unref();
  }

  /** Queues the collected removals into the next group commit; a failed commit keeps them for the next try. */
  private commitRemovals(): void {
    clearTimeout(this.removalTimer);
    this.removalTimer = undefined;
    if (!this.removals.length) return;
    const removals = this.removals;
    this.removals = [];
    this.db
      .run(() => {
        for (const [session, id] of removals) this.stmts.remove.run(session, id);
      })
      .catch(() => {
        // a removal that never happens only means a replay the outbox drops
        this.removals.unshift(...removals);
        this.scheduleRemovals();
      });
  }

  /** The session's entries in the order they were written. */
  pending(session: string): JournalEntry[] {
    this.commitRemovals();
    this.db.commit();
    return (this.stmts.pending.all(session) as Row[]).map((row) => ({
      session: row.session,
      id: row.id,
      attrs: JSON.parse(row.attrs) as Record<string, string>,
      message: row.message,
      meId: row.me_id,
      ...(row.me_lid && { meLid: row.me_lid }),
    }));
  }

  clear(session: string): Promise<void> {
    this.commitRemovals();
    return this.db.run(() => this.stmts.clear.run(session));
  }

  /** Commits what waits; closes the journal's own file (the main store closes its database itself). */
  close(): void {
    this.commitRemovals();
    if (this.committedWithKeys) this.db.commit();
    else this.db.close();
  }
}
