import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../src/runtime/store';
import { ApiKeys, hashApiKey } from '../../src/runtime/auth/api-keys';

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
