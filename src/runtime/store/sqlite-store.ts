/**
 * store/: everything the runtime persists goes through Keyv. This file is the embedded default backend:
 * a Keyv store adapter over Node's built-in `node:sqlite` (no native addon to build), in WAL mode, with
 * multi-key writes in one transaction so that a Baileys `keys.set` batch is atomic.
 */
import { EventEmitter } from 'node:events';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import { restrictDatabase } from './files';

type Row = { key: string; value: string; expires: number | null };

/** One SQLite file; hand each Keyv namespace its own adapter from `adapter()`, since Keyv writes `namespace` onto it. */
export class SqliteDatabase {
  private readonly db: DatabaseSync;
  readonly stmts: Record<'get' | 'set' | 'del' | 'clearNs' | 'clearAll' | 'iter' | 'purge', StatementSync>;

  constructor(readonly path: string) {
    this.db = new DatabaseSync(path);
    // before WAL mode: SQLite gives its -wal and -shm files the database file's mode
    restrictDatabase(path);
    this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)`);
    this.stmts = {
      get: this.db.prepare('SELECT key, value, expires FROM kv WHERE key = ?'),
      set: this.db.prepare('INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires'),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      clearNs: this.db.prepare("DELETE FROM kv WHERE key LIKE ? ESCAPE '\\'"),
      clearAll: this.db.prepare('DELETE FROM kv'),
      iter: this.db.prepare("SELECT key, value, expires FROM kv WHERE key LIKE ? ESCAPE '\\' ORDER BY key"),
      purge: this.db.prepare('DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?'),
    };
  }

  adapter(): SqliteKeyvStore {
    return new SqliteKeyvStore(this);
  }

  /** Removes expired rows; called on a timer by the runtime so TTL'd data does not pile up. */
  purgeExpired(): number {
    return Number(this.stmts.purge.run(Date.now()).changes);
  }

  /** Runs `fn` in one SQLite transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
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
      this.stmts.del.run(row.key);
      return undefined;
    }
    return row;
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.live(this.stmts.get.get(key) as Row | undefined)?.value as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return keys.map((key) => this.live(this.stmts.get.get(key) as Row | undefined)?.value as StoredData<Value | undefined>);
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.stmts.set.run(key, String(value), ttl ? Date.now() + ttl : null);
    return true;
  }

  async setMany(values: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    this.db.transaction(() => {
      for (const { key, value, ttl } of values) this.stmts.set.run(key, String(value), ttl ? Date.now() + ttl : null);
    });
  }

  async delete(key: string): Promise<boolean> {
    return Number(this.stmts.del.run(key).changes) > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    let deleted = 0;
    this.db.transaction(() => {
      for (const key of keys) deleted += Number(this.stmts.del.run(key).changes);
    });
    return deleted > 0;
  }

  async has(key: string): Promise<boolean> {
    return this.live(this.stmts.get.get(key) as Row | undefined) !== undefined;
  }

  async clear(): Promise<void> {
    if (this.namespace) this.stmts.clearNs.run(`${escapeLike(this.namespace)}:%`);
    else this.stmts.clearAll.run();
  }

  async *iterator<Value>(namespace?: string): AsyncGenerator<Array<string | Awaited<Value> | undefined>, void> {
    const prefix = namespace ? `${escapeLike(namespace)}:%` : '%';
    const rows = this.stmts.iter.all(prefix) as Row[];
    for (const row of rows) {
      if (this.live(row)) yield [row.key, row.value as Awaited<Value>];
    }
  }

}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
