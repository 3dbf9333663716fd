/**
 * store/: owns persistence. Every namespace (auth state per session, messages, events, API keys, ...) is a Keyv
 * instance on one backend: embedded SQLite by default, Redis when `redisUrl` is set, PostgreSQL when `postgresUrl` is.
 * Values are serialised with Baileys' BufferJSON so that Buffers and Uint8Arrays survive a round trip.
 * Entries with a retention expire on every backend: Redis by itself, SQLite and PostgreSQL (where Keyv only drops an
 * expired entry when it is read again) by a purge every few minutes.
 */
import { join } from 'node:path';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import KeyvPostgres from '@keyv/postgres';
import { SqliteDatabase } from './sqlite-store';
import { InboundJournal, type Journal } from './journal';
import { SharedJournal } from './shared-journal';
import { prepareDataDir } from './files';
import { bufferJsonReplacer, bufferJsonReviver } from './buffer-json';
import { fenceAdapter, type WriteGuard } from './fenced';

export { FencedWriteError, type WriteGuard } from './fenced';

export type StoreBackend = 'sqlite' | 'redis' | 'postgres';

export interface StoreConfig {
  dataDir: string;
  redisUrl?: string;
  postgresUrl?: string;
}

export interface Store {
  readonly backend: StoreBackend;
  /**
   * A Keyv bound to `namespace`; the same namespace always returns the same instance. `plainJson` skips the
   * Buffer-aware serialiser (a replacer call per key) for namespaces that never hold binary data. `guard` (Redis
   * only, fixed by the first call) makes every write conditional on a lease (cluster mode's fencing).
   */
  namespace<T = unknown>(namespace: string, options?: NamespaceOptions): Keyv<T>;
  /** Decrypted inbound messages not yet in the outbox: in the SQLite database, a file of its own beside Redis or PostgreSQL, or shared on Redis in cluster mode. */
  readonly journal: Journal;
  /** Deletes the entries past their retention now; answers how many (Redis expires them itself: 0). */
  purgeExpired(): Promise<number>;
  close(): Promise<void>;
}

export interface NamespaceOptions {
  plainJson?: boolean;
  guard?: WriteGuard;
}

export interface StoreOptions {
  /** Cluster mode (Redis): the journal is shared, each session's entries written under its lease. */
  journalGuard?(session: string): WriteGuard;
  warn?(message: string): void;
  /** Told how long reads and writes took (metrics): those `sample()` picks. */
  onOperation?(operation: string, seconds: number): void;
  sample?(): boolean;
}

const TIMED_OPERATIONS = ['get', 'getMany', 'set', 'setMany', 'delete', 'deleteMany'] as const;

/** Wraps the adapter's reads and writes with a timer (the sampled ones); what Keyv does not find stays absent. */
function timed<A extends object>(adapter: A, onOperation: StoreOptions['onOperation'], sample: () => boolean): A {
  if (!onOperation) return adapter;
  const methods = adapter as unknown as Record<string, unknown>;
  for (const name of TIMED_OPERATIONS) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    const call = (args: unknown[]) => (original as (...a: unknown[]) => unknown).apply(adapter, args);
    const timedCall = async (args: unknown[]) => {
      const started = process.hrtime.bigint();
      try {
        return await call(args);
      } finally {
        onOperation(name, Number(process.hrtime.bigint() - started) / 1e9);
      }
    };
    methods[name] = (...args: unknown[]) => (sample() ? timedCall(args) : call(args));
  }
  return adapter;
}

export function createStore(config: StoreConfig, options: StoreOptions = {}): Store {
  const { onOperation } = options;
  const sample = options.sample ?? (() => true);
  const warning = prepareDataDir(config.dataDir);
  if (warning) options.warn?.(warning);
  const backend: StoreBackend = config.redisUrl ? 'redis' : config.postgresUrl ? 'postgres' : 'sqlite';
  let sqlite: SqliteDatabase | undefined;
  if (backend === 'sqlite') {
    sqlite = new SqliteDatabase(join(config.dataDir, 'runtime.sqlite'));
  }
  const journal: Journal = config.redisUrl && options.journalGuard
    ? new SharedJournal(config.redisUrl, options.journalGuard, (error) => options.warn?.(`journal: ${error.message}`))
    : sqlite
      ? InboundJournal.inStore(sqlite, config.dataDir)
      : InboundJournal.ownFile(config.dataDir);
  const instances = new Map<string, Keyv>();
  // Keyv writes {"value":…,"expires":ms} with expires last; entries without a retention have no expires
  const postgresPurger = config.postgresUrl && !config.redisUrl ? new KeyvPostgres({ uri: config.postgresUrl }) : undefined;
  const purgeExpired = async (): Promise<number> => {
    if (sqlite) return sqlite.purgeExpired();
    if (!postgresPurger) return 0;
    const { table, schema } = postgresPurger.opts as { table: string; schema: string };
    const deleted = await postgresPurger.query(`DELETE FROM ${schema}.${table} WHERE value LIKE '%"expires":%' AND substring(value from '"expires":([0-9]+)}$')::bigint < $1 RETURNING key`, [Date.now()]);
    return (deleted as unknown[]).length;
  };
  const purgeTimer = sqlite || postgresPurger ? setInterval(() => void purgeExpired().catch(() => undefined), sqlite ? 60_000 : 5 * 60_000).unref() : undefined;

  function makeAdapter(namespace: string, guard: WriteGuard | undefined) {
    if (sqlite) return sqlite.adapter();
    if (config.redisUrl) return guard ? fenceAdapter(new KeyvRedis(config.redisUrl), namespace, guard) : new KeyvRedis(config.redisUrl);
    return new KeyvPostgres({ uri: config.postgresUrl });
  }

  return {
    backend,
    journal,
    purgeExpired,
    namespace<T>(namespace: string, options: NamespaceOptions = {}): Keyv<T> {
      let kv = instances.get(namespace);
      if (!kv) {
        kv = new Keyv({
          store: timed(makeAdapter(namespace, options.guard), onOperation, sample),
          namespace,
          serialize: options.plainJson ? (data) => JSON.stringify(data) : (data) => JSON.stringify(data, bufferJsonReplacer),
          deserialize: options.plainJson ? (text) => JSON.parse(text) : (text) => JSON.parse(text, bufferJsonReviver),
          throwOnErrors: true,
        });
        instances.set(namespace, kv);
      }
      return kv as Keyv<T>;
    },
    async close() {
      if (purgeTimer) clearInterval(purgeTimer);
      await Promise.all([...instances.values()].map((kv) => kv.disconnect().catch(() => undefined)));
      await postgresPurger?.disconnect().catch(() => undefined);
      instances.clear();
      // the journal first: its last removals go into the main database's final commit
      await journal.close();
      sqlite?.close();
    },
  };
}
