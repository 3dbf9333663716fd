/**
 * Type tricks (issue #15): strings that ajv's coercion used to turn into ±Infinity, and strings where numbers or
 * booleans are documented, are refused with 400 naming the field; nothing is switched off or created by them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

describe('hostile numbers and coerced types', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime();
    t.runtime.sandbox!.createUser({ phone: '15550019001' });
    await linkSession(t, 'nums', '15550019000');
  });
  afterAll(async () => {
    await t.close();
  });

  test.each([
    ['PATCH', '/api/v1/sessions/nums/outbound/settings', { perMinute: 'Infinity' }],
    ['PATCH', '/api/v1/sessions/nums/outbound/settings', { minGapMs: '-Infinity', maxGapMs: '1e999' }],
    ['PATCH', '/api/v1/sessions/nums/outbound/settings', { perMinute: '8' }],
    ['PATCH', '/api/v1/sessions/nums/outbound/settings', { typing: 'true' }],
    ['POST', '/api/v1/sessions/nums/messages/location', { to: '15550019001', latitude: 'Infinity', longitude: 0 }],
    ['POST', '/api/v1/sessions/nums/messages/location', { to: '15550019001', latitude: '52.5', longitude: '13.4' }],
    ['POST', '/api/v1/sessions', { id: true }],
    ['POST', '/api/v1/sessions', { id: 12345 }],
    ['POST', '/api/v1/sandbox/users/15550019001/messages/series', { to: '15550019000', count: 'Infinity', perSecond: 1 }],
    ['GET', '/api/v1/sessions/nums/chats?limit=Infinity', undefined],
    ['GET', '/api/v1/sessions/nums/chats?limit=1e999', undefined],
    ['GET', '/api/v1/sessions/nums/chats?offset=-Infinity', undefined],
  ])('%s %s %j answers 400', async (method, path, body) => {
    const answer = await t.api(method, path, body);
    expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status: 400, code: 'validation_failed' });
  });

  test('nothing was changed or created by them', async () => {
    const settings = (await t.api('GET', '/api/v1/sessions/nums/outbound/settings')).body;
    expect(settings).toMatchObject({ perMinute: 8, minGapMs: 5000, maxGapMs: 15000, typing: false });
    expect((await t.api('GET', '/api/v1/sessions/true')).status).toBe(404);
    expect((await t.api('GET', '/api/v1/sessions/nums/chats?limit=10')).status).toBe(200);
  });
});

describe('client mistakes answer 4xx, never 5xx', () => {
  let t: TestRuntime;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((_req, res) => res.setHeader('content-type', 'application/pdf').end('%PDF-1.4 test'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await startRuntime({ mediaAllowPrivateNetworks: true });
    t.runtime.sandbox!.createUser({ phone: '15550019101' });
    await linkSession(t, 'faults', '15550019100');
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  test('multipart without a boundary: 400', async () => {
    const answer = await t.api('POST', '/api/v1/sessions/faults/messages/image', undefined, { 'content-type': 'multipart/form-data' });
    expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status: 400, code: 'validation_failed' });
  });

  test('a media URL whose file name has broken percent-encoding is sent under the name as written', async () => {
    const answer = await t.api('POST', '/api/v1/sessions/faults/messages/document', { to: '15550019101', media: { url: `${base}/report%E0%A4%A.pdf` } });
    expect(answer.status).toBe(200);
    const got = await t.runtime.sandbox!.waitForReceived('15550019101', (m) => m.id === answer.body.id);
    expect(got.message.documentMessage?.fileName).toBe('report%E0%A4%A.pdf');
  });

  test('a profile picture that does not decode: 422 invalid_image, without the image library\'s internals', async () => {
    const truncatedJpeg = Buffer.from('ffd8ffe000104a464946', 'hex').toString('base64');
    const answer = await t.api('PUT', '/api/v1/sessions/faults/profile/picture', { media: { base64: truncatedJpeg, mimetype: 'image/jpeg' } });
    expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status: 422, code: 'invalid_image' });
    expect(answer.body.error.message).not.toMatch(/Vips/);
  });
});
