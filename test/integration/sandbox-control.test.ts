import { until } from '../helpers/until';
import { startRuntime, type TestRuntime } from '../helpers/runtime';

describe('sandbox control API over HTTP (runtime in sandbox mode)', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startRuntime();
  });
  afterAll(async () => {
    await t.close();
  });

  test('link by scanning over HTTP, then a contact and the account talk through the API alone', async () => {
    expect((await t.api('POST', '/api/v1/sandbox/users', { phone: '+1 555 000 8001', name: 'Fay' })).status).toBe(201);
    await t.api('POST', '/api/v1/sessions', { id: 'http' });
    const qr = await t.api('GET', '/api/v1/sessions/http/qr?format=raw');
    const first = await t.api('POST', '/api/v1/sandbox/qr/scan', { qr: qr.body, phone: '15550008000' });
    // WhatsApp retires the first QR's secret; the session shows the same QR with a new secret, which links
    expect(first).toMatchObject({ status: 200, body: { scanned: true, result: 'refreshed' } });
    let next = qr;
    await until(async () => (next = await t.api('GET', '/api/v1/sessions/http/qr?format=raw')).body !== qr.body);
    expect((await t.api('POST', '/api/v1/sandbox/qr/scan', { qr: next.body, phone: '15550008000' })).body).toEqual({ scanned: true, result: 'linked' });
    await t.waitForEvent((e) => e.type === 'session.status' && (e.data as { status: string }).status === 'connected');

    const sent = await t.api('POST', '/api/v1/sandbox/users/15550008001/messages', { to: '15550008000', type: 'text', text: 'hello from fay' });
    expect(sent.status).toBe(200);
    await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string; text: string }).messageId === sent.body.id);

    const poll = await t.api('POST', '/api/v1/sandbox/users/15550008001/messages', { to: '15550008000', type: 'poll', name: 'Vote', options: ['A', 'B'] });
    const pollEvent = await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === poll.body.id);
    expect(pollEvent.data).toMatchObject({ kind: 'poll', poll: { options: ['A', 'B'] } });

    const reply = await t.api('POST', '/api/v1/sessions/http/messages/text', { to: '15550008001', text: 'hi fay' });
    const deadline = Date.now() + 5000;
    let received: { id: string; text?: string }[] = [];
    while (Date.now() < deadline && !received.some((m) => m.id === reply.body.id)) {
      received = (await t.api('GET', '/api/v1/sandbox/users/15550008001/received')).body.messages;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(received.find((m) => m.id === reply.body.id)?.text).toBe('hi fay');

    const ours = await t.api('POST', '/api/v1/sessions/http/messages/poll', { to: '15550008001', name: 'Tea?', options: ['Green', 'Black'] });
    await until(async () => (await t.api('GET', '/api/v1/sandbox/users/15550008001/received')).body.messages.some((m: { id: string }) => m.id === ours.body.id), 5000, 20);
    expect((await t.api('POST', '/api/v1/sandbox/users/15550008001/votes', { pollMessageId: ours.body.id, options: ['Purple'] })).status).toBe(400);
    expect((await t.api('POST', '/api/v1/sandbox/users/15550008001/votes', { pollMessageId: ours.body.id, options: ['Black'] })).status).toBe(200);
    const vote = await t.waitForEvent((e) => e.type === 'poll.vote');
    expect(vote.data).toMatchObject({ pollMessageId: ours.body.id, poll: 'Tea?', selectedOptions: ['Black'], voterPhoneNumber: '15550008001' });
  });

  test('bad control requests get 4xx with a reason', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/api/v1/sandbox/users', { phone: 'abc' }, 400, 'validation_failed'],
      ['POST', '/api/v1/sandbox/users/15559990000/messages', { to: '15550008000', type: 'text', text: 'x' }, 404, 'sandbox_user_not_found'],
      ['POST', '/api/v1/sandbox/users/15550008001/messages', { to: '15550008000', type: 'text' }, 400, 'validation_failed'],
      ['POST', '/api/v1/sandbox/users/15550008001/messages', { to: '15550008000', type: 'sms', text: 'x' }, 400, 'validation_failed'],
      ['POST', '/api/v1/sandbox/qr/scan', { qr: 'https://wa.me/settings/linked_devices#a,b,c,d', phone: '1' }, 409, 'sandbox_scan_failed'],
      ['POST', '/api/v1/sandbox/users/15550008001/disconnect', { kind: 'explode' }, 400, 'validation_failed'],
      ['POST', '/api/v1/sandbox/users/15550008001/votes', { pollMessageId: 'NOPE', options: ['A'] }, 404, 'poll_not_found'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await t.api(method, path, body);
      expect({ path, status: response.status, code: response.body?.error?.code }).toEqual({ path, status, code });
    }
    const unauthorized = await fetch(`${t.runtime.url}/api/v1/sandbox/users`);
    expect(unauthorized.status).toBe(401);
  });
});
