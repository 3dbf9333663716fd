/** The data dir holds keys and messages: 0700 when the runtime makes it, database files 0600, a looser dir reported. */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../src/runtime/store';
import { InboundJournal } from '../../src/runtime/store/journal';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('data dir and database file modes', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'wa-modes-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  test('a data dir the runtime creates is 0700; its databases and their WAL files are 0600', async () => {
    const dir = join(parent, 'data');
    const warnings: string[] = [];
    const store = createStore({ dataDir: dir }, { warn: (message) => warnings.push(message) });
    await store.namespace('probe').set('k', 'v');
    await store.journal.add({ session: 's', id: 'm', attrs: { id: 'm' }, message: new Uint8Array([1]), meId: 'me' });
    // beside Redis or PostgreSQL the journal has a file of its own
    const journal = InboundJournal.ownFile(dir);
    await journal.add({ session: 's', id: 'm', attrs: { id: 'm' }, message: new Uint8Array([1]), meId: 'me' });
    expect(mode(dir)).toBe('700');
    for (const file of ['runtime.sqlite', 'runtime.sqlite-wal', 'journal.sqlite', 'journal.sqlite-wal']) expect([file, mode(join(dir, file))]).toEqual([file, '600']);
    journal.close();
    expect(warnings).toEqual([]);
    await store.close();
  });

  test('an existing dir readable by others is reported; an existing database is made 0600', async () => {
    const dir = join(parent, 'shared');
    createStore({ dataDir: dir }).close();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'runtime.sqlite'), 0o644);
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    const warnings: string[] = [];
    const store = createStore({ dataDir: dir }, { warn: (message) => warnings.push(message) });
    expect(warnings).toEqual([expect.stringMatching(/readable by other users \(mode 755\)/)]);
    expect(mode(join(dir, 'runtime.sqlite'))).toBe('600');
    expect(mode(dir)).toBe('755');
    await store.close();
  });
});
