/**
 * The outbound-URL guard against the spellings that used to get through (issue #15): media URLs and link previews
 * on loopback, however written, are refused before any request leaves, unless private networks are allowed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Receiver } from '../helpers/receiver';
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

  test('webhook targets: private, link-local and mapped spellings are refused; loopback is allowed while the API listens on loopback', async () => {
    for (const url of ['http://10.0.0.1/hook', 'http://169.254.169.254/', 'http://[::ffff:10.0.0.1]/', 'http://[fd00::1]/', 'http://0.0.0.0:6379/']) {
      const created = await t.api('POST', '/api/v1/webhooks', { url });
      expect({ url, status: created.status, code: created.body.error?.code }).toEqual({ url, status: 400, code: 'webhook_url_not_allowed' });
    }
    const receiver = await Receiver.start();
    try {
      const created = await t.api('POST', '/api/v1/webhooks', { url: receiver.url.replace('http://', 'http://n8n:s3cret@'), events: ['webhook.test'] });
      expect(created.status).toBe(201);
      // credentials in a webhook URL never come back
      expect(created.body.url).toBe(receiver.url.replace('http://', 'http://***:***@'));
      expect(JSON.stringify((await t.api('GET', '/api/v1/webhooks')).body)).not.toContain('s3cret');
      const moved = await t.api('PATCH', `/api/v1/webhooks/${created.body.id}`, { url: 'http://10.0.0.1/hook' });
      expect(moved.body.error?.code).toBe('webhook_url_not_allowed');
      const header = await t.api('PATCH', `/api/v1/webhooks/${created.body.id}`, { headers: { Host: 'example.com' } });
      expect({ status: header.status, code: header.body.error?.code }).toEqual({ status: 400, code: 'reserved_header' });
      // hop-by-hop headers belong to the runtime's connection, not to the event
      for (const name of ['Connection', 'Transfer-Encoding', 'Upgrade', 'Keep-Alive', 'Expect']) {
        const hop = await t.api('PATCH', `/api/v1/webhooks/${created.body.id}`, { headers: { [name]: 'x' } });
        expect({ name, status: hop.status, code: hop.body.error?.code, field: hop.body.error?.details?.field }).toEqual({ name, status: 400, code: 'reserved_header', field: 'headers' });
      }
      // delivery goes to the address that was checked, with the credentials as basic auth
      await t.api('POST', `/api/v1/webhooks/${created.body.id}/test`);
      await receiver.waitFor((requests) => requests.length === 1);
      expect(receiver.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('n8n:s3cret').toString('base64')}`);
    } finally {
      await receiver.close();
    }
  });
});

describe('webhook targets when the API listens beyond loopback', () => {
  test('loopback targets need WA_WEBHOOK_ALLOW_PRIVATE_NETWORKS', async () => {
    const receiver = await Receiver.start();
    const strict = await startRuntime({ host: '0.0.0.0' });
    const open = await startRuntime({ host: '0.0.0.0', webhookAllowPrivateNetworks: true });
    try {
      expect((await strict.api('POST', '/api/v1/webhooks', { url: receiver.url })).body.error?.code).toBe('webhook_url_not_allowed');
      expect((await open.api('POST', '/api/v1/webhooks', { url: receiver.url })).status).toBe(201);
    } finally {
      await strict.close();
      await open.close();
      await receiver.close();
    }
  });
});
