/**
 * Deleting a session deletes everything of it, on every store backend: credentials, messages, chats, events,
 * queued sends, campaigns and their recipients, waits, idempotency keys, usage, its own webhooks and keys. Afterwards no row
 * of the store names the session but the audit log (which holds no content) and the request log.
 */
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { Client } from 'pg';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { scanSessionQr, startRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';
import { Receiver } from '../helpers/receiver';
import { portOpenSync } from '../helpers/services';

const KEPT = /^(audit|requests):/;

const REDIS = 'redis://127.0.0.1:6379';
const POSTGRES = 'postgresql://postgres@127.0.0.1:5432/test';

/** Every [key, value] of the store that mentions `needle`. */
async function rowsNaming(backend: string, dataDir: string, needle: string): Promise<string[]> {
  const rows: [string, string][] = [];
  if (backend === 'SQLite') {
    const db = new DatabaseSync(join(dataDir, 'runtime.sqlite'), { readOnly: true });
    for (const row of db.prepare('SELECT key, value FROM kv').all() as { key: string; value: string }[]) rows.push([row.key, row.value]);
    db.close();
  } else if (backend === 'Redis') {
    const client = createClient({ url: REDIS });
    await client.connect();
    for await (const keys of client.scanIterator({ MATCH: '*', COUNT: 1000 })) {
      for (const key of ([] as string[]).concat(keys)) {
        const type = await client.type(key);
        const value = type === 'string' ? ((await client.get(key)) ?? '') : type === 'hash' ? JSON.stringify(await client.hGetAll(key)) : type === 'set' ? JSON.stringify(await client.sMembers(key)) : '';
        rows.push([key, value]);
      }
    }
    await client.quit();
  } else {
    const client = new Client({ connectionString: POSTGRES });
    await client.connect();
    for (const row of (await client.query<{ key: string; value: string }>('SELECT key, value FROM keyv')).rows) rows.push([row.key, row.value]);
    await client.end();
  }
  const unprefixed = (key: string) => key.replace(/^keyv:/, '');
  return rows.filter(([key, value]) => (key.includes(needle) || value.includes(needle)) && !KEPT.test(unprefixed(key))).map(([key, value]) => `${key} = ${value.slice(0, 160)}`);
}

const backends: [string, Record<string, string>, boolean][] = [
  ['SQLite', {}, true],
  ['Redis', { redisUrl: REDIS }, portOpenSync(6379)],
  ['PostgreSQL', { postgresUrl: POSTGRES }, portOpenSync(5432)],
];
for (const [name, , available] of backends) if (!available) process.stdout.write(`${name} is not reachable on 127.0.0.1: its session-delete test is SKIPPED\n`);

describe('deleting a session leaves no row of it behind', () => {
  for (const [name, extra, available] of backends) {
    (available ? test : test.skip)(name, async () => {
      const sim = await Simulator.start();
      const stamp = Date.now().toString(36);
      const id = `gone-${stamp}`;
      const phone = `1555${String(Date.now()).slice(-7)}`;
      const contact = `1556${String(Date.now()).slice(-7)}`;
      const failing = await Receiver.start();
      failing.respond = () => 500;
      const t = await startRuntime({ sandbox: false, sandboxUrl: sim.url, sandboxRootKey: sim.rootPublicKeyBase64, sandboxMediaCa: sim.media.certificatePem, webhookRetryBaseDelayMs: 60_000, ...extra });
      try {
        sim.createUser({ phone: contact, name: 'Leaving Contact' });
        await t.api('POST', '/api/v1/sessions', { id });
        await scanSessionQr(t, sim, id, phone);
        await t.waitForEvent((e) => e.type === 'session.status' && e.session === id && (e.data as { status: string }).status === 'connected', 10_000);
        // a webhook of this session only, failing: its deliveries stay pending in the outbox
        const hook = await t.api('POST', '/api/v1/webhooks', { url: failing.url, sessions: [id] });
        const key = await t.api('POST', '/api/v1/keys', { name: `key of ${id}`, permissions: ['send'], sessions: [id] });
        await sim.sendMessage(contact, phone, buildMessage.text(`secret text of ${stamp}`));
        await t.waitForEvent((e) => e.type === 'message.received' && e.session === id);
        expect((await t.api('POST', `/api/v1/sessions/${id}/messages/text`, { to: contact, text: 'sent once' }, { 'idempotency-key': `idem-${stamp}` })).status).toBe(200);
        expect((await t.api('POST', `/api/v1/sessions/${id}/messages/text`, { to: contact, text: 'later', sendAt: new Date(Date.now() + 3_600_000).toISOString() })).status).toBe(202);
        expect((await t.api('POST', `/api/v1/sessions/${id}/campaigns`, { template: { kind: 'text', text: 'hello' }, recipients: [{ to: contact }], sendAt: new Date(Date.now() + 3_600_000).toISOString() })).status).toBe(201);
        expect((await t.api('POST', `/api/v1/sessions/${id}/messages/text`, { to: contact, text: 'approve?', waitForReply: { responseType: 'freeText', textUrl: 'http://127.0.0.1:9/resume' } })).status).toBe(200);
        await t.api('GET', `/api/v1/usage?session=${id}`);
        await until(async () => (await rowsNaming(name, t.dataDir, id)).length > 10);

        expect((await t.api('DELETE', `/api/v1/sessions/${id}`)).status).toBe(204);
        await t.api('GET', `/api/v1/usage?session=${id}`);
        expect(await rowsNaming(name, t.dataDir, id)).toEqual([]);
        expect(await rowsNaming(name, t.dataDir, `secret text of ${stamp}`)).toEqual([]);
        expect((await t.api('GET', `/api/v1/webhooks/${hook.body.id}`)).status).toBe(404);
        expect((await t.api('GET', `/api/v1/keys/${key.body.id}`)).status).toBe(404);
        const audit = (await t.api('GET', `/api/v1/audit?session=${id}&action=session.deleted`)).body.entries;
        expect(audit).toHaveLength(1);
      } finally {
        await failing.close();
        await t.close();
        await sim.stop();
      }
    }, 60_000);
  }
});
