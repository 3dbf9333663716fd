/**
 * Exporting a session: a zip of NDJSON files with every message (1,000 texts and an image here) and, when asked, the
 * media files; produced while it is read (an unread export stops after a bounded read-ahead), through the API for
 * admin keys only, with its progress visible.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fromBuffer, type Entry } from 'yauzl';
import pino from 'pino';
import { SessionExporter } from '../../src/runtime/archive';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { loadBaileys } from '../../src/runtime/whatsapp/baileys';
import { ADMIN_KEY, linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';

const SESSION = 'exported';
const PHONE = '15550401000';
const CONTACT = '15550402000';
const IMAGE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3000, 7)]);
const COUNT = 1000;

let t: TestRuntime;
let imageId: string;

beforeAll(async () => {
  t = await startRuntime();
  const sim = t.runtime.sandbox!;
  sim.createUser({ phone: CONTACT, name: 'Exporter Contact' });
  await linkSession(t, SESSION, PHONE);
  // texts that do not compress away, so the archive is far larger than the streams' buffers
  for (let i = 0; i < COUNT; i++) await sim.sendMessage(CONTACT, PHONE, buildMessage.text(`message number ${i}: ${randomBytes(2000).toString('base64')}`));
  imageId = await sim.sendMessage(CONTACT, PHONE, await sim.uploadMedia({ kind: 'image', data: IMAGE, mimetype: 'image/jpeg', caption: 'a picture' }));
  await until(async () => (await t.api('GET', `/api/v1/sessions/${SESSION}/chats`)).body.chats[0]?.lastMessage?.messageId === imageId, 60_000);
}, 120_000);
afterAll(async () => t?.close());

async function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const archive = await new Promise<import('yauzl').ZipFile>((resolve, reject) => fromBuffer(zip, { lazyEntries: true }, (error, z) => (error ? reject(error) : resolve(z))));
  await new Promise<void>((resolve, reject) => {
    archive.on('entry', (entry: Entry) => {
      archive.openReadStream(entry, async (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        files.set(entry.fileName, Buffer.concat(chunks));
        archive.readEntry();
      });
    });
    archive.on('end', resolve);
    archive.on('error', reject);
    archive.readEntry();
  });
  return files;
}

async function read(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

test('an unread export stops after a bounded read-ahead; read, it holds every message and the media file', async () => {
  const exporter = new SessionExporter({ b: await loadBaileys(), outbox: t.runtime.delivery.outbox, logger: pino({ level: 'silent' }) });
  const { progress, stream } = exporter.start(t.runtime.sessions.get(SESSION), 'files');
  (stream as Readable).pause();
  await new Promise((resolve) => setTimeout(resolve, 500));
  // about 3 MB of messages against well under a megabyte of stream buffers between the store and the reader
  expect(progress.counts.messages).toBeLessThan(COUNT / 2);
  expect(progress.status).toBe('running');

  const files = await unzip(await read(stream));
  expect(progress).toMatchObject({ status: 'done', counts: { chats: 1, messages: COUNT + 1, contacts: 1, mediaFiles: 1, mediaErrors: 0 } });
  const messages = files.get('messages.ndjson')!.toString().trim().split('\n').map((line) => JSON.parse(line) as { messageId: string; text?: string; kind: string });
  expect(messages).toHaveLength(COUNT + 1);
  expect(new Set(messages.map((m) => m.messageId)).size).toBe(COUNT + 1);
  expect(messages.filter((m) => m.kind === 'text' && m.text?.startsWith('message number '))).toHaveLength(COUNT);
  expect(files.get(`media/${imageId}.jpg`)).toEqual(IMAGE);
  expect(JSON.parse(files.get('session.json')!.toString())).toMatchObject({ id: SESSION, status: 'connected', media: 'files' });
  expect(files.get('contacts.ndjson')!.toString()).toContain(CONTACT);
  expect(files.get('events.ndjson')!.toString().trim().split('\n').filter((line) => line.includes('"message.received"')).length).toBe(COUNT + 1);
  expect([...files.keys()].some((name) => /auth|creds/.test(name))).toBe(false);
}, 60_000);

test('through the API: a zip for admin keys, with the export listed; others are refused', async () => {
  const response = await fetch(`${t.runtime.url}/api/v1/sessions/${SESSION}/export`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: '{}' });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/zip');
  const exportId = response.headers.get('x-export-id');
  const files = await unzip(Buffer.from(await response.arrayBuffer()));
  expect(files.has('media-errors.ndjson')).toBe(false);
  expect([...files.keys()].filter((name) => name.startsWith('media/'))).toEqual([]);
  const listed = (await t.api('GET', `/api/v1/sessions/${SESSION}/exports`)).body.exports;
  expect(listed[0]).toMatchObject({ id: exportId, status: 'done', media: 'references', counts: { messages: COUNT + 1 } });
  const reader = (await t.api('POST', '/api/v1/keys', { name: 'reader', permissions: ['read', 'manage', 'send'], sessions: [SESSION] })).body.key;
  expect((await fetch(`${t.runtime.url}/api/v1/sessions/${SESSION}/export`, { method: 'POST', headers: { authorization: `Bearer ${reader}` } })).status).toBe(403);
  const audit = (await t.api('GET', '/api/v1/audit?action=session.exported')).body.entries;
  expect(audit.find((e: { result: string }) => e.result === 'success')).toMatchObject({ session: SESSION, details: { media: 'references', exportId } });
  expect(audit[0]).toMatchObject({ result: 'denied', status: 403 });
});
