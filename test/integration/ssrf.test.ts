/**
 * The outbound-URL guard against the spellings that used to get through (issue #15): media URLs and link previews
 * on loopback, however written, are refused before any request leaves, unless private networks are allowed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

const ACCOUNT = '15550017000';
const BOB = '15550017001';

describe('outbound-URL guard', () => {
  let t: TestRuntime;
  let server: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'text/html');
      res.end('<html><head><title>Internal admin</title></head></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    t = await startRuntime();
    t.runtime.sandbox!.createUser({ phone: BOB, name: 'Bob' });
    await linkSession(t, 'ssrf', ACCOUNT);
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const spellings = () => [
    `http://127.0.0.1:${port}/secret.jpg`,
    `http://[::ffff:127.0.0.1]:${port}/secret.jpg`,
    `http://[::ffff:7f00:1]:${port}/secret.jpg`,
    `http://[::1]:${port}/secret.jpg`,
    `http://localhost:${port}/secret.jpg`,
    `http://127.1:${port}/secret.jpg`,
    `http://2130706433:${port}/secret.jpg`,
    `http://0.0.0.0:${port}/secret.jpg`,
    `http://[::ffff:169.254.169.254]/latest/meta-data`,
    `http://[64:ff9b::7f00:1]:${port}/`,
    `http://user:pass@127.0.0.1:${port}/`,
  ];

  test('media URLs on loopback, in every spelling, are refused with 400 and nothing is fetched', async () => {
    for (const url of spellings()) {
      const sent = await t.api('POST', '/api/v1/sessions/ssrf/messages/image', { to: BOB, image: { url } });
      expect({ url, status: sent.status, code: sent.body.error?.code }).toEqual({ url, status: 400, code: 'media_url_not_allowed' });
    }
    expect(hits).toBe(0);
  });

  test('a text with such a URL goes without a link preview, and the page is never fetched', async () => {
    for (const url of spellings().slice(0, 6)) {
      const sent = await t.api('POST', '/api/v1/sessions/ssrf/messages/text', { to: BOB, text: `see ${url}` });
      expect(sent.status).toBe(200);
      const got = await t.runtime.sandbox!.waitForReceived(BOB, (m) => m.id === sent.body.id);
      expect(got.message.extendedTextMessage?.title ?? undefined).toBeUndefined();
    }
    expect(hits).toBe(0);
  });
});
