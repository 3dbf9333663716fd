/**
 * store/: everything the runtime persists goes through Keyv. This file is the embedded default backend:
 * a Keyv store adapter over Node's built-in `node:sqlite` (no native addon to build), in WAL mode.
 * Writes are group-committed: every write made in one turn of the event loop (a Baileys `keys.set` batch, a send's
 * message, chat and outbox records, the inbound journal's rows, other sessions' traffic) goes into one transaction,
 * and each writer's promise resolves once that transaction committed. A commit costs far more than a row, so this is
 * what keeps the store's share of a message small. Reads see the key-value writes still waiting for their commit.
 */
import { EventEmitter } from 'node:events';
import { setImmediate } from 'node:timers/promises';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import { restrictDatabase } from './files';

type Row = { key: string; value: string; expires: number | null };
/** A write waiting for the next commit: the row, or null for a delete. */
type PendingWrite = { value: string; expires: number | null } | null;

interface Batch {
  committed: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/** A checkpoint at most this often, off the commits: a hot page is copied back once per interval, not once per commit. */
const CHECKPOINT_EVERY_MS = 1000;
/** Rows an iterator reads in one statement, between two turns of the event loop. */
const ITERATOR_PAGE = 1000;

/**
 * A connection of its own in a worker thread that checkpoints when told to and answers when done, and closes when
 * told to close (after a checkpoint it is running).
 */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
db.exec('PRAGMA busy_timeout = 1000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let ok = true;
  try {
    checkpoint.get();
  } catch {
    ok = false;
  }
  parentPort.postMessage(ok);
});
`;

/**
 * WAL mode with checkpoints on a timer instead of inside whichever commit crosses SQLite's 1,000-page mark (a few
 * milliseconds of writes on that commit's path), run by a worker thread on a connection of its own: a checkpoint
 * ends in an fsync (2-55 ms measured on this machine kind under load), which on the event loop delayed every event
 * behind it. The 10,000-page automatic checkpoint stays as a bound on the WAL. The timer is armed by a write, at most
 * one checkpoint a second: an idle database neither checkpoints nor wakes the process.
 */
class WalCheckpoints {
  private running = false;
  private failed = false;
  private timer?: NodeJS.Timeout;
  private readonly worker: Worker;

  constructor(db: DatabaseSync, path: string) {
    // the busy timeout first: a checkpointer of an earlier connection to this file may still be closing
    db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 10000');
    this.worker = new Worker(CHECKPOINTER, { eval: true, workerData: { path } });
    this.worker.unref();
    this.worker.on('message', (ok: boolean) => {
      this.running = false;
      // busy: the next one does it, or the automatic checkpoint
      if (!ok) this.written();
    });
    // a checkpointer that failed leaves the automatic checkpoint as the bound
    this.worker.on('error', () => {
      this.failed = true;
      clearTimeout(this.timer);
    });
  }

  written(): void {
    if (this.timer || this.failed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // one at a time: a checkpoint still running is followed by another a second later
      if (this.running) {
        this.written();
        return;
      }
      this.running = true;
      this.worker.postMessage('checkpoint');
    }, CHECKPOINT_EVERY_MS).unref();
  }

  stop(): void {
    this.failed = true;
    clearTimeout(this.timer);
    this.worker.postMessage('close');
  }
}

type TransactionStatements = Record<'begin' | 'commit' | 'rollback', StatementSync>;
/** Prepared once per database: `exec` would parse BEGIN and COMMIT again for every transaction. */
const transactionStatements = new WeakMap<DatabaseSync, TransactionStatements>();

/** Runs `work` in one SQLite transaction: committed when it returns, rolled back when it throws. */
function inTransaction(db: DatabaseSync, work: () => void): void {
  let tx = transactionStatements.get(db);
  if (!tx) {
    tx = { begin: db.prepare('BEGIN IMMEDIATE'), commit: db.prepare('COMMIT'), rollback: db.prepare('ROLLBACK') };
    transactionStatements.set(db, tx);
  }
  tx.begin.run();
  try {
    work();
    tx.commit.run();
  } catch (error) {
    tx.rollback.run();
    throw error;
  }
}

/** A row as written: Keyv's serialised value and, with a retention, when it expires. */
function rowOf(value: unknown, ttl?: number): PendingWrite {
  return { value: String(value), expires: ttl ? Date.now() + ttl : null };
}

/** One SQLite file; hand each Keyv namespace its own adapter from `adapter()`, since Keyv writes `namespace` onto it. */
export class SqliteDatabase {
  private readonly db: DatabaseSync;
  readonly stmts: Record<'get' | 'set' | 'del' | 'clearNs' | 'clearAll' | 'iter' | 'purge', StatementSync>;
  /** Writes of the current turn by key (the last one of a key wins), committed together. */
  private readonly pending = new Map<string, PendingWrite>();
  /** Statements of other tables (the inbound journal's) for the current group commit, run in order after the rows. */
  private statements: (() => void)[] = [];
  private batch: Batch | undefined;
  private readonly checkpoints: WalCheckpoints;

  constructor(readonly path: string) {
    this.db = new DatabaseSync(path);
    // before WAL mode: SQLite gives its -wal and -shm files the database file's mode
    restrictDatabase(path);
    this.checkpoints = new WalCheckpoints(this.db, path);
    this.db.exec(`CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)`);
    this.stmts = {
      get: this.db.prepare('SELECT key, value, expires FROM kv WHERE key = ?'),
      set: this.db.prepare('INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires'),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      clearNs: this.db.prepare("DELETE FROM kv WHERE key LIKE ? ESCAPE '\\'"),
      clearAll: this.db.prepare('DELETE FROM kv'),
      iter: this.db.prepare("SELECT key, value, expires FROM kv WHERE key LIKE ? ESCAPE '\\' AND key > ? ORDER BY key LIMIT ?"),
      purge: this.db.prepare('DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?'),
    };
  }

  adapter(): SqliteKeyvStore {
    return new SqliteKeyvStore(this);
  }

  /** Removes expired rows; called on a timer by the runtime so TTL'd data does not pile up. */
  purgeExpired(): number {
    this.commit();
    return Number(this.stmts.purge.run(Date.now()).changes);
  }

  /** Queues a write (null: a delete) for the current group commit; resolves once it is committed. */
  write(key: string, row: PendingWrite): Promise<void> {
    this.pending.set(key, row);
    return this.joinBatch();
  }

  /** Runs `statement` (a prepared statement of another table) inside the current group commit; resolves once committed. */
  run(statement: () => void): Promise<void> {
    this.statements.push(statement);
    return this.joinBatch();
  }

  /** Prepares a statement on this database (for tables of its own, such as the inbound journal's). */
  prepare(sql: string): StatementSync {
    return this.db.prepare(sql);
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** Commits what waits, then runs `work` in a transaction of its own now; throws when it fails. */
  transaction(work: () => void): void {
    this.commit();
    this.checkpoints.written();
    inTransaction(this.db, work);
  }

  private joinBatch(): Promise<void> {
    if (!this.batch) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const committed = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.batch = { committed, resolve, reject };
      process.nextTick(() => this.commit());
    }
    return this.batch.committed;
  }

  /** What a read sees for `key`: a write waiting for its commit (null: deleted), else undefined. */
  waiting(key: string): PendingWrite | undefined {
    return this.pending.get(key);
  }

  /** Commits the waiting writes now (before a scan, a purge or a close, which read the table itself). */
  commit(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    const writes = [...this.pending];
    this.pending.clear();
    const statements = this.statements;
    this.statements = [];
    try {
      this.checkpoints.written();
      inTransaction(this.db, () => {
        for (const [key, row] of writes) {
          if (row) this.stmts.set.run(key, row.value, row.expires);
          else this.stmts.del.run(key);
        }
        for (const statement of statements) statement();
      });
      batch.resolve();
    } catch (error) {
      batch.reject(error);
    }
  }

  close(): void {
    if (!this.db.isOpen) return;
    this.checkpoints.stop();
    this.commit();
    this.db.close();
  }
}

export class SqliteKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  /** `url` and `dialect` are what Keyv inspects to decide that this adapter can iterate. */
  readonly opts: { path: string; url: string; dialect: 'sqlite' };
  namespace?: string;
  private readonly stmts: SqliteDatabase['stmts'];

  constructor(private readonly db: SqliteDatabase) {
    super();
    this.opts = { path: db.path, url: `sqlite://${db.path}`, dialect: 'sqlite' };
    this.stmts = db.stmts;
  }

  private live(row: Row | undefined): Row | undefined {
    if (!row) return undefined;
    if (row.expires !== null && row.expires <= Date.now()) {
      // the clean-up of an expired row; a failed commit is answered to the batch's writers
      this.db.write(row.key, null).catch(() => undefined);
      return undefined;
    }
    return row;
  }

  private read(key: string): Row | undefined {
    const waiting = this.db.waiting(key);
    if (waiting === undefined) return this.live(this.stmts.get.get(key) as Row | undefined);
    return waiting ? this.live({ key, ...waiting }) : undefined;
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.read(key)?.value as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return keys.map((key) => this.read(key)?.value as StoredData<Value | undefined>);
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.db.write(key, rowOf(value, ttl));
    return true;
  }

  async setMany(values: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    let committed: Promise<void> | undefined;
    for (const { key, value, ttl } of values) committed = this.db.write(key, rowOf(value, ttl));
    await committed;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.read(key) !== undefined;
    await this.db.write(key, null);
    return existed;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    let existed = false;
    let committed: Promise<void> | undefined;
    for (const key of keys) {
      existed = this.read(key) !== undefined || existed;
      committed = this.db.write(key, null);
    }
    await committed;
    return existed;
  }

  async has(key: string): Promise<boolean> {
    return this.read(key) !== undefined;
  }

  async clear(): Promise<void> {
    this.db.commit();
    if (this.namespace) this.stmts.clearNs.run(`${escapeLike(this.namespace)}:%`);
    else this.stmts.clearAll.run();
  }

  /**
   * The rows of `namespace` in key order, a page at a time with a turn of the event loop between pages: a scan of
   * 95,000 rows read at once held the process for half a second. Rows written after the scan began are seen if they
   * sort after its position.
   */
  async *iterator<Value>(namespace?: string): AsyncGenerator<Array<string | Awaited<Value> | undefined>, void> {
    const prefix = namespace ? `${escapeLike(namespace)}:%` : '%';
    let after = '';
    for (;;) {
      this.db.commit();
      const rows = this.stmts.iter.all(prefix, after, ITERATOR_PAGE) as Row[];
      for (const row of rows) {
        if (this.live(row)) yield [row.key, row.value as Awaited<Value>];
      }
      if (rows.length < ITERATOR_PAGE) return;
      after = rows[rows.length - 1].key;
      await setImmediate();
    }
  }

}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
