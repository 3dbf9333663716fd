import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Keyv from 'keyv';
import { vcardOf } from '../../src/runtime/messages/content';
import { IdempotencyStore } from '../../src/runtime/messages/idempotency';
import { linkPreview } from '../../src/runtime/messages/link-preview';
import { checked, VOICE_TYPES, ANY_TYPE } from '../../src/runtime/messages/media-input';
import { isOggOpus, toVoiceNote } from '../../src/runtime/messages/voice';
import { ApiError } from '../../src/runtime/errors';

describe('contact cards', () => {
  test('a vCard with escaped name, organisation and a waid phone', () => {
    const { displayName, vcard } = vcardOf({ name: 'Doe, John', phone: '+1 (555) 123-4567', organization: 'ACME; Inc', email: 'j@acme.test' }, 0);
    expect(displayName).toBe('Doe, John');
    expect(vcard.split('\n')).toEqual(['BEGIN:VCARD', 'VERSION:3.0', 'FN:Doe\\, John', 'ORG:ACME\\; Inc;', 'TEL;type=CELL;type=VOICE;waid=15551234567:+15551234567', 'EMAIL:j@acme.test', 'END:VCARD']);
  });

  test('a given vCard is checked and its FN used as name; incomplete cards are refused', () => {
    expect(vcardOf({ vcard: 'BEGIN:VCARD\nFN:Ann\nEND:VCARD' }, 1).displayName).toBe('Ann');
    expect(() => vcardOf({ vcard: 'hello' }, 2)).toThrow(/contacts\[2\]\.vcard is not a vCard/);
    expect(() => vcardOf({ name: 'x', phone: '12' }, 0)).toThrow(/not a phone number/);
    expect(() => vcardOf({ phone: '15551234567' }, 0)).toThrow(/needs "name" and "phone"/);
  });
});

describe('media type rules', () => {
  const limits = { maxBytes: 1000, allowPrivateNetworks: false };
  test('voice accepts any audio; documents accept anything and default to octet-stream', () => {
    expect(checked({ data: Buffer.from('OggS....'), mimetype: '' }, VOICE_TYPES, limits, 'f').mimetype).toBe('audio/ogg');
    expect(() => checked({ data: Buffer.from('text'), mimetype: 'text/plain' }, VOICE_TYPES, limits, 'f')).toThrow(/not supported/);
    expect(checked({ data: Buffer.from('zzz'), mimetype: '' }, ANY_TYPE, limits, 'f').mimetype).toBe('application/octet-stream');
    expect(checked({ data: Buffer.from('%PDF-1.7'), mimetype: '' }, ANY_TYPE, limits, 'f').mimetype).toBe('application/pdf');
  });

  test('voice notes: OGG/Opus is recognised; without ffmpeg other audio fails with a clear 422', async () => {
    expect(isOggOpus(Buffer.concat([Buffer.from('OggS'), Buffer.alloc(24), Buffer.from('OpusHead')]))).toBe(true);
    expect(isOggOpus(Buffer.from('ID3....'))).toBe(false);
    const error = await toVoiceNote({ data: Buffer.from('ID3 not opus'), mimetype: 'audio/mpeg' }, '/nonexistent/ffmpeg', 'voice').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ statusCode: 422, code: 'converter_unavailable' });
    expect((error as Error).message).toContain('WA_FFMPEG_PATH');
  });
});

describe('link previews', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hop') {
        res.writeHead(302, { location: '/page' });
        res.end();
        return;
      }
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<head><meta name="description" content="Caf&eacute; &amp; more"><title>Fallback &amp; title</title><meta content="/img.png" property="og:image"></head>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('title, description and image from the page, following a redirect', async () => {
    const info = await linkPreview(`look: ${base}/hop.`, { allowPrivateNetworks: true });
    expect(info).toMatchObject({ 'matched-text': `${base}/hop`, title: 'Fallback & title', description: 'Caf&eacute; & more', originalThumbnailUrl: `${base}/img.png` });
  });

  test('private addresses are refused unless allowed; no URL means no preview', async () => {
    expect(await linkPreview(`${base}/page`, { allowPrivateNetworks: false })).toBeUndefined();
    expect(await linkPreview('no link here', { allowPrivateNetworks: true })).toBeUndefined();
  });
});

describe('Idempotency-Key', () => {
  const request = { to: '1', text: 'x' };
  let counter = 0;
  const newId = () => `ID${++counter}`;

  test('the same key sends once, concurrent retries wait for the first', async () => {
    const store = new IdempotencyStore(new Keyv(), 60_000);
    let sends = 0;
    const send = async (id: string) => {
      sends++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { id };
    };
    const results = await Promise.all([store.run('s', 'k', request, newId, send), store.run('s', 'k', request, newId, send), store.run('s', 'k', request, newId, send)]);
    expect(sends).toBe(1);
    expect(new Set(results.map((r) => r.result.id)).size).toBe(1);
    expect(results.filter((r) => r.replayed)).toHaveLength(2);
    expect((await store.run('other-session', 'k', request, newId, send)).replayed).toBe(false);
  });

  test('a different request under the same key is refused; a refused send frees the key', async () => {
    const store = new IdempotencyStore(new Keyv(), 60_000);
    await store.run('s', 'k', request, newId, async (id) => ({ id }));
    await expect(store.run('s', 'k', { ...request, text: 'y' }, newId, async (id) => ({ id }))).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    await expect(store.run('s', 'k2', request, newId, async () => {
      throw new ApiError(409, 'session_not_connected', 'no');
    })).rejects.toBeInstanceOf(ApiError);
    expect((await store.run('s', 'k2', request, newId, async (id) => ({ id }))).replayed).toBe(false);
    await expect(store.run('s', 'bad key', request, newId, async (id) => ({ id }))).rejects.toMatchObject({ code: 'invalid_idempotency_key' });
  });

  test('after a crash mid-send the retry reuses the recorded message id', async () => {
    const kv = new Keyv();
    const crashed = new IdempotencyStore(kv, 60_000);
    let firstId = '';
    await expect(crashed.run('s', 'k', request, newId, async (id) => {
      firstId = id;
      throw new Error('connection lost');
    })).rejects.toThrow('connection lost');
    const restarted = new IdempotencyStore(kv, 60_000);
    const retry = await restarted.run('s', 'k', request, newId, async (id) => ({ id }));
    expect(retry.result.id).toBe(firstId);
  });
});
