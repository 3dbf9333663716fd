/**
 * What expires: a chat's last-message preview goes with the messages (answers stop showing it at once, the purge
 * removes it from the store), and entries past their retention leave PostgreSQL too (Keyv alone deletes them only
 * when they are read again).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createStore } from '../../src/runtime/store';
import { ChatStore, type ChatRecord } from '../../src/runtime/chats/store';
import type { MessageEventData } from '../../src/runtime/events/schema';
import { portOpenSync } from '../helpers/services';

const POSTGRES = 'postgresql://postgres@127.0.0.1:5432/test';
const postgresUp = portOpenSync(5432);
if (!postgresUp) process.stdout.write('PostgreSQL is not reachable on 127.0.0.1: its purge test is SKIPPED\n');

function message(id: string, secondsAgo: number, text: string): MessageEventData {
  return { messageId: id, chatId: '15550301000@s.whatsapp.net', chatType: 'direct', fromMe: false, kind: 'text', text, messageTimestamp: Math.floor(Date.now() / 1000) - secondsAgo, offline: false };
}

test("a chat's last-message preview expires with the messages", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-retention-'));
  const store = createStore({ dataDir: dir });
  try {
    const chats = new ChatStore(store.namespace<ChatRecord>('chats:r', { plainJson: true }), store.namespace('messages:r', { plainJson: true }), 3_600_000);
    await chats.record(message('OLD', 7200, 'two hours old'));
    expect((await chats.get('15550301000@s.whatsapp.net'))?.lastMessage).toBeUndefined();
    expect((await chats.list({ limit: 10, offset: 0 })).chats[0].lastMessage).toBeUndefined();
    expect(await chats.purge()).toBe(1);
    const stored = await store.namespace<ChatRecord>('chats:r', { plainJson: true }).get('15550301000@s.whatsapp.net');
    expect(stored).toMatchObject({ id: '15550301000@s.whatsapp.net', unreadCount: 1 });
    expect(JSON.stringify(stored)).not.toContain('two hours old');
    await chats.record(message('NEW', 10, 'just now'));
    expect((await chats.get('15550301000@s.whatsapp.net'))?.lastMessage).toMatchObject({ messageId: 'NEW', text: 'just now' });
    expect(await chats.purge()).toBe(0);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

(postgresUp ? test : test.skip)('entries past their retention are purged from PostgreSQL, the others stay', async () => {
  const store = createStore({ dataDir: mkdtempSync(join(tmpdir(), 'wa-retention-pg-')), postgresUrl: POSTGRES });
  const namespace = `retention-${Date.now().toString(36)}`;
  const kv = store.namespace(namespace, { plainJson: true });
  try {
    await kv.set('short', { a: 1 }, 1);
    await kv.set('long', { b: 2 }, 3_600_000);
    await kv.set('forever', { c: 3 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await store.purgeExpired()).toBeGreaterThanOrEqual(1);
    const client = new Client({ connectionString: POSTGRES });
    await client.connect();
    const keys = (await client.query<{ key: string }>('SELECT key FROM keyv WHERE key LIKE $1 ORDER BY key', [`${namespace}:%`])).rows.map((r) => r.key);
    await client.end();
    expect(keys).toEqual([`${namespace}:forever`, `${namespace}:long`]);
  } finally {
    await kv.clear();
    await store.close();
  }
});
