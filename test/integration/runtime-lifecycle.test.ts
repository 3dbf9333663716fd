import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { linkSession, scanSessionQr, startRuntime, type TestRuntime } from '../helpers/runtime';
import { portOpenSync } from '../helpers/services';

const statusOf = (e: { type: string; session: string; data: unknown }, session: string, status: string) =>
  e.type === 'session.status' && e.session === session && (e.data as { status: string }).status === status;

describe('runtime session lifecycle against the simulator', () => {
  let t: TestRuntime;

  beforeEach(async () => {
    t = await startRuntime({ reconnectBaseDelayMs: 50, reconnectMaxDelayMs: 400, logLevel: (process.env.RT_LOG as never) ?? 'silent' });
  });
  afterEach(async () => {
    await t.close();
  });

  test('pairing by code: the API returns the code, the phone enters it, the session connects', async () => {
    await t.api('POST', '/api/v1/sessions', { id: 'bycode' });
    const { status, body } = await t.api('POST', '/api/v1/sessions/bycode/pairing-code', { phoneNumber: '+1 555 000 6001' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ phoneNumber: '15550006001' });
    expect(body.code).toMatch(/^[A-Z0-9]{8}$/);
    expect((await t.api('GET', '/api/v1/sessions/bycode')).body.status).toBe('pairing_code');
    await t.runtime.sandbox!.enterPairingCode('15550006001', body.code);
    await t.waitForEvent((e) => statusOf(e, 'bycode', 'connected'), 10_000);
    expect((await t.api('GET', '/api/v1/sessions/bycode')).body.me.phoneNumber).toBe('15550006001');
  });

  test('asking for a second pairing code starts over; the second code links', async () => {
    await t.api('POST', '/api/v1/sessions', { id: 'recode' });
    const first = await t.api('POST', '/api/v1/sessions/recode/pairing-code', { phoneNumber: '15550006011' });
    const second = await t.api('POST', '/api/v1/sessions/recode/pairing-code', { phoneNumber: '15550006012' });
    expect(second.status).toBe(200);
    expect(second.body.code).not.toBe(first.body.code);
    await t.runtime.sandbox!.enterPairingCode('15550006012', second.body.code);
    await t.waitForEvent((e) => statusOf(e, 'recode', 'connected'), 10_000);
    expect((await t.api('GET', '/api/v1/sessions/recode')).body.me.phoneNumber).toBe('15550006012');
  });

  test('QR code as PNG and SVG while waiting to be scanned', async () => {
    await t.api('POST', '/api/v1/sessions', { id: 'qr' });
    const png = await t.api('GET', '/api/v1/sessions/qr/qr?format=png');
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect((png.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    const svg = await t.api('GET', '/api/v1/sessions/qr/qr?format=svg');
    expect(svg.body).toContain('<svg');
  });

  test('401 from WhatsApp wipes the credentials and ends logged_out', async () => {
    await linkSession(t, 'wipe', '15550006002');
    t.runtime.sandbox!.disconnect('15550006002', 'logout');
    await t.waitForEvent((e) => statusOf(e, 'wipe', 'logged_out'));
    const keys: string[] = [];
    const authKv = t.runtime.store.namespace('auth:wipe');
    for await (const [key] of authKv.iterator!(authKv.namespace)) keys.push(key as string);
    expect(keys).toEqual([]);
    const view = (await t.api('GET', '/api/v1/sessions/wipe')).body;
    expect(view).toMatchObject({ status: 'logged_out', reason: { code: 401 } });
    expect(view.me).toBeUndefined();
  });

  test('440 (replaced) ends in conflict without reconnecting', async () => {
    await linkSession(t, 'conflict', '15550006003');
    const before = t.events.length;
    t.runtime.sandbox!.disconnect('15550006003', 'replaced');
    await t.waitForEvent((e) => statusOf(e, 'conflict', 'conflict'));
    await new Promise((resolve) => setTimeout(resolve, 800));
    const later = t.events.slice(before).filter((e) => e.type === 'session.status' && e.session === 'conflict').map((e) => (e.data as { status: string }).status);
    expect(later).toEqual(['conflict']);
  });

  test('a dropped network reconnects with backoff; messages sent meanwhile arrive as offline', async () => {
    const sim = t.runtime.sandbox!;
    sim.createUser({ phone: '15550006099', name: 'Dora' });
    await linkSession(t, 'flaky', '15550006004');
    const before = t.events.length;
    sim.setOnline('15550006004', false);
    await t.waitForEvent((e) => statusOf(e, 'flaky', 'reconnecting'));
    const id = await sim.sendMessage('15550006099', '15550006004', buildMessage.text('sent while offline'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    sim.setOnline('15550006004', true);
    const received = await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id, 10_000);
    expect(received.data).toMatchObject({ text: 'sent while offline', offline: true });
    await t.waitForEvent((e) => t.events.indexOf(e) > before && statusOf(e, 'flaky', 'connected'));
    const statuses = t.events.slice(before).filter((e) => e.type === 'session.status' && e.session === 'flaky').map((e) => (e.data as { status: string; reason: { message: string } }));
    const reconnecting = statuses.filter((s) => s.status === 'reconnecting');
    expect(reconnecting.length).toBeGreaterThanOrEqual(2);
    expect(reconnecting.every((s) => /reconnecting in \d+ ms|reconnect attempt \d+/.test(s.reason.message))).toBe(true);
  });

  test('stop, start and delete through the API', async () => {
    await linkSession(t, 'ops', '15550006005');
    expect((await t.api('POST', '/api/v1/sessions/ops/stop')).body.status).toBe('stopped');
    expect((await t.api('POST', '/api/v1/sessions/ops/start')).body.status).toBe('starting');
    await t.waitForEvent((e) => statusOf(e, 'ops', 'connected') && t.events.filter((x) => statusOf(x, 'ops', 'connected')).length >= 2, 10_000);
    expect((await t.api('DELETE', '/api/v1/sessions/ops')).status).toBe(204);
    expect((await t.api('GET', '/api/v1/sessions/ops')).status).toBe(404);
  });
});

describe('runtime restart keeps sessions without re-pairing', () => {
  const backends: [string, Record<string, string>, boolean][] = [
    ['SQLite', {}, true],
    ['Redis', { redisUrl: 'redis://127.0.0.1:6379' }, portOpenSync(6379)],
    ['PostgreSQL', { postgresUrl: 'postgresql://postgres@127.0.0.1:5432/test' }, portOpenSync(5432)],
  ];
  for (const [name, , available] of backends) {
    if (!available) process.stdout.write(`${name} is not reachable on 127.0.0.1: its restart test is SKIPPED\n`);
  }

  for (const [name, extra, available] of backends) {
    (available ? test : test.skip)(name, async () => {
      const sim = await Simulator.start();
      const prefix = `restart-${Date.now()}`;
      const config = { sandbox: false, sandboxUrl: sim.url, sandboxRootKey: sim.rootPublicKeyBase64, sandboxMediaCa: sim.media.certificatePem, ...extra };
      try {
        const first = await startRuntime(config);
        await first.api('POST', '/api/v1/sessions', { id: prefix });
        await scanSessionQr(first, sim, prefix, '15550007000');
        await first.waitForEvent((e) => statusOf(e, prefix, 'connected'), 10_000);
        await first.close({ keepData: true });

        const second = await startRuntime(config, first.dataDir);
        try {
          await second.waitForEvent((e) => statusOf(e, prefix, 'connected'), 10_000);
          expect(second.events.some((e) => e.type === 'session.qr')).toBe(false);
          expect(sim.user('15550007000').devices.size).toBe(1);
          sim.createUser({ phone: '15550007001', name: 'Eve' });
          const sent = await second.api('POST', `/api/v1/sessions/${prefix}/messages/text`, { to: '15550007001', text: 'after restart' });
          expect((await sim.waitForReceived('15550007001', (m) => m.id === sent.body.id)).text).toBe('after restart');
          await second.api('DELETE', `/api/v1/sessions/${prefix}`);
        } finally {
          await second.close();
        }
      } finally {
        await sim.stop();
      }
    });
  }
});
