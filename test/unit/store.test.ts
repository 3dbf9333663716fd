import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { KeyvStoreAdapter } from 'keyv';
import { createStore } from '../../src/runtime/store';
import { InboundJournal } from '../../src/runtime/store/journal';
import { ApiKeys, hashApiKey } from '../../src/runtime/auth/api-keys';
import { turnsDuring } from '../helpers/turns';
import { until } from '../helpers/until';

describe('embedded SQLite store through Keyv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('Buffers and Uint8Arrays survive, namespaces are separate, batches and clear work, data persists', async () => {
    const store = createStore({ dataDir: dir });
    const a = store.namespace('auth:a');
    const b = store.namespace('auth:b');
    await a.set('creds', { key: Buffer.from([1, 2, 3]), raw: new Uint8Array([4, 5]), nested: { n: 1 } });
    await a.setMany([{ key: 'pre-key:1', value: { public: Buffer.alloc(32, 1) } }, { key: 'pre-key:2', value: { public: Buffer.alloc(32, 2) } }]);
    await b.set('creds', { other: true });
    const creds = (await a.get('creds')) as { key: Buffer; raw: Buffer };
    expect(Buffer.isBuffer(creds.key) && creds.key.equals(Buffer.from([1, 2, 3]))).toBe(true);
    expect(Buffer.from(creds.raw)).toEqual(Buffer.from([4, 5]));
    expect(await a.getMany(['pre-key:1', 'pre-key:3'])).toEqual([{ public: Buffer.alloc(32, 1) }, undefined]);
    await a.deleteMany(['pre-key:1']);
    expect(await a.get('pre-key:1')).toBeUndefined();
    await a.set('short', 1, 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await a.get('short')).toBeUndefined();
    await store.close();

    const reopened = createStore({ dataDir: dir });
    expect(await reopened.namespace('auth:a').get('pre-key:2')).toEqual({ public: Buffer.alloc(32, 2) });
    await reopened.namespace('auth:a').clear();
    expect(await reopened.namespace('auth:a').get('pre-key:2')).toBeUndefined();
    expect(await reopened.namespace('auth:b').get('creds')).toEqual({ other: true });
    await reopened.close();
  });

  test('group commit: the writes of one turn commit together, a writer resumes after its commit, reads see waiting writes', async () => {
    const groupDir = mkdtempSync(join(tmpdir(), 'wa-store-group-'));
    const store = createStore({ dataDir: groupDir });
    const kv = store.namespace('group');
    await kv.set('old', 'kept');
    await kv.set('gone', 'soon');
    // another connection to the file sees only committed rows
    const other = new DatabaseSync(join(groupDir, 'runtime.sqlite'), { readOnly: true });
    const committed = () => (other.prepare("SELECT key FROM kv WHERE key LIKE 'group:%' ORDER BY key").all() as { key: string }[]).map((row) => row.key);
    // the adapter as Keyv calls it (Keyv's own awaits come before it): keys carry the namespace, values Keyv's JSON
    const adapter = kv.store as KeyvStoreAdapter;
    const row = (value: number) => JSON.stringify({ value });
    const writes = [adapter.set('group:a', row(1)), adapter.set('group:b', row(2)), adapter.setMany!([{ key: 'group:c', value: row(3) }, { key: 'group:a', value: row(4) }]), adapter.delete('group:gone'), adapter.delete('group:never-there')];
    expect(committed()).toEqual(['group:gone', 'group:old']);
    expect(await kv.get('a')).toBe(4);
    expect(await kv.get('gone')).toBeUndefined();
    expect(await kv.has('c')).toBe(true);
    expect(await Promise.all(writes)).toEqual([true, true, undefined, true, false]);
    expect(committed()).toEqual(['group:a', 'group:b', 'group:c', 'group:old']);
    // a scan commits what waits first
    void adapter.set('group:d', row(5));
    const keys: string[] = [];
    for await (const [key] of kv.iterator!(kv.namespace)) keys.push(key as string);
    expect(keys).toEqual(['a', 'b', 'c', 'd', 'old']);
    // a close commits what waits
    void adapter.set('group:e', row(6));
    await store.close();
    expect(committed()).toEqual(['group:a', 'group:b', 'group:c', 'group:d', 'group:e', 'group:old']);
    other.close();
    rmSync(groupDir, { recursive: true, force: true });
  });

  test('WAL checkpoints: committed writes reach the database file itself about a second after they were written', async () => {
    const walDir = mkdtempSync(join(tmpdir(), 'wa-store-wal-'));
    const store = createStore({ dataDir: walDir });
    const file = join(walDir, 'runtime.sqlite');
    const kv = store.namespace('wal');
    const created = statSync(file).size;
    await kv.set('first', 'x');
    // the first checkpoint: the table's pages reach the file
    await until(() => statSync(file).size > created, 5_000);
    const before = statSync(file).size;
    await kv.setMany(Array.from({ length: 200 }, (_, i) => ({ key: `row-${i}`, value: 'v'.repeat(1_000) })));
    // committed: in the WAL, not yet in the file
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(200_000);
    expect(statSync(file).size).toBe(before);
    await until(() => statSync(file).size > before + 200_000, 5_000);
    await store.close();
    rmSync(walDir, { recursive: true, force: true });
  });

  test('a scan reads page by page: every row once, in key order, with turns of the event loop between pages', async () => {
    const scanDir = mkdtempSync(join(tmpdir(), 'wa-store-scan-'));
    const store = createStore({ dataDir: scanDir });
    const kv = store.namespace('scan');
    await kv.setMany(Array.from({ length: 2_500 }, (_, i) => ({ key: `k${String(i).padStart(5, '0')}`, value: i })));
    await store.namespace('scan-other').set('k00000', 'not this namespace');
    const seen: number[] = [];
    const { turns } = await turnsDuring(async () => {
      for await (const [, value] of kv.iterator!(kv.namespace)) seen.push(value as number);
    });
    expect(seen).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    expect(turns).toBeGreaterThanOrEqual(2);
    await store.close();
    rmSync(scanDir, { recursive: true, force: true });
  });

  const journalEntry = (id: string) => ({ session: 's', id, attrs: { id, from: '1@s.whatsapp.net' }, message: new Uint8Array([1, 2]), meId: '2@s.whatsapp.net' });
  const journaledIds = (path: string) => {
    const other = new DatabaseSync(path, { readOnly: true });
    const ids = (other.prepare('SELECT id FROM inbound ORDER BY seq').all() as { id: string }[]).map((row) => row.id);
    other.close();
    return ids;
  };

  test('inbound journal in the main database: an entry and the keys written with it land in one commit; removals are committed together, seen at once by pending() and kept across a reopen', async () => {
    const journalDir = mkdtempSync(join(tmpdir(), 'wa-journal-'));
    const database = join(journalDir, 'runtime.sqlite');
    const store = createStore({ dataDir: journalDir });
    expect(store.journal.committedWithKeys).toBe(true);
    const keys = store.namespace('auth:s');
    const written = store.journal.add(journalEntry('a'));
    const keysWritten = keys.set('session:1', { advanced: true });
    expect(journaledIds(database)).toEqual([]);
    await written;
    // once the entry's commit is done, so is the key write of the same turn
    expect(new DatabaseSync(database, { readOnly: true }).prepare("SELECT count(*) AS n FROM kv WHERE key = 'auth:s:session:1'").get()).toEqual({ n: 1 });
    await keysWritten;
    await Promise.all(['b', 'c'].map((id) => store.journal.add(journalEntry(id))));
    store.journal.remove('s', ['a', 'c']);
    // another connection still sees all three: the removals wait for their commit
    expect(journaledIds(database)).toEqual(['a', 'b', 'c']);
    expect((await store.journal.pending('s')).map((e) => e.id)).toEqual(['b']);
    store.journal.remove('s', ['b']);
    await store.close();
    expect(journaledIds(database)).toEqual([]);
    rmSync(journalDir, { recursive: true, force: true });
  });

  test('inbound journal: a journal file of an earlier release is moved into the main database, in its order, and removed', async () => {
    const journalDir = mkdtempSync(join(tmpdir(), 'wa-journal-'));
    const own = InboundJournal.ownFile(journalDir);
    expect(own.committedWithKeys).toBe(false);
    for (const id of ['x', 'y', 'z']) await own.add(journalEntry(id));
    own.remove('s', ['y']);
    own.close();
    expect(journaledIds(join(journalDir, 'journal.sqlite'))).toEqual(['x', 'z']);
    const store = createStore({ dataDir: journalDir });
    expect(existsSync(join(journalDir, 'journal.sqlite'))).toBe(false);
    const pending = await store.journal.pending('s');
    expect(pending.map((e) => e.id)).toEqual(['x', 'z']);
    expect(pending[0]).toEqual({ ...journalEntry('x'), message: expect.any(Uint8Array) });
    expect(Buffer.from(pending[0].message)).toEqual(Buffer.from([1, 2]));
    await store.close();
    rmSync(journalDir, { recursive: true, force: true });
  });

  test('API keys: generated once, stored only as a hash, verified; records from before scopes are admin keys', async () => {
    const store = createStore({ dataDir: dir });
    const keys = new ApiKeys(store.namespace('api-keys'));
    await keys.load();
    const first = await keys.ensureAdminKey();
    expect(first.created).toBe(true);
    expect(first.plaintext).toMatch(/^wa_live_/);
    expect((await keys.ensureAdminKey()).plaintext).toBeUndefined();
    expect(keys.verify(first.plaintext)).toMatchObject({ record: { permissions: ['admin'], sessions: '*', hash: hashApiKey(first.plaintext!) } });
    expect(keys.verify('wa_wrong')).toEqual({ refused: 'unknown' });
    const legacy = 'wa_legacy-key-from-an-older-release-0123456789';
    await store.namespace('api-keys').set(hashApiKey(legacy), { id: 'abc', name: 'admin', role: 'admin', hash: hashApiKey(legacy), createdAt: '2026-01-01T00:00:00.000Z' });
    const reloaded = new ApiKeys(store.namespace('api-keys'));
    await reloaded.load();
    expect(reloaded.verify(legacy)).toMatchObject({ record: { id: 'abc', permissions: ['admin'], sessions: '*', useCount: 1 } });
    expect(reloaded.verify(first.plaintext)).toMatchObject({ record: { source: 'generated' } });
    const stored: string[] = [];
    const kv = store.namespace('api-keys');
    for await (const [key, value] of kv.iterator!(kv.namespace)) stored.push(`${key} ${JSON.stringify(value)}`);
    expect(stored.join('\n')).not.toContain(first.plaintext);
    await store.close();
  });
});
