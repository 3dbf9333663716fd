import { Simulator } from '../../src/runtime/sandbox/simulator';
import { TestClient, linkByQr, statusCode } from '../helpers/baileys-client';
import { loadBaileys } from '../../src/runtime/whatsapp/baileys';
import { PairingRejectedError, requestPairingCode } from '../../src/runtime/whatsapp/pairing';

const qrFields = (qr: string) => qr.split('#')[1].split(',');

describe('sandbox: pairing, login and disconnects through real Baileys', () => {
  let sim: Simulator;
  const clients: TestClient[] = [];

  beforeEach(async () => {
    sim = await Simulator.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end();
    await sim.stop();
  });

  test('QR pairing: the first scan retires the secret, the same ref is shown with a new one, the second scan links', async () => {
    const client = await TestClient.create(sim);
    clients.push(client);
    const { qr } = await client.waitFor('connection.update', (u) => !!u.qr);
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
    expect(sim.scanQr(qr!, '+1 555 000 1001')).toBe('refreshed');
    const { qr: refreshed } = await client.waitFor('connection.update', (u) => !!u.qr && u.qr !== qr);
    const [ref, noise, identity, secret] = qrFields(qr!);
    const [ref2, noise2, identity2, secret2] = qrFields(refreshed!);
    expect([ref2, noise2, identity2]).toEqual([ref, noise, identity]);
    expect(Buffer.from(secret2, 'base64')).toHaveLength(32);
    expect(secret2).not.toBe(secret);
    expect(client.auth.creds.advSecretKey).toBe(secret2);
    expect(sim.scanQr(refreshed!, '+1 555 000 1001')).toBe('linked');
    await client.waitFor('connection.update', (u) => u.isNewLogin === true);
    expect(await client.waitForClose()).toBe(515);
    client.connect();
    await client.waitFor('connection.update', (u) => u.connection === 'open');
    const account = sim.user('15550001001');
    expect(client.auth.creds.me?.id).toBe(`15550001001:1@s.whatsapp.net`);
    expect(client.auth.creds.me?.lid).toBe(`${account.lid}:1@lid`);
    expect(account.devices.get(1)?.preKeyUploads).toBe(1);
    expect(account.devices.get(1)?.preKeysUploaded).toBe(812);
    expect(account.devices.get(1)?.label).toBe('Ubuntu');
  });

  test('unfixed rc14 drops companion_reg_refresh: its QR keeps the retired secret and can never link', async () => {
    const client = await TestClient.create(sim, undefined, { refreshFix: false });
    clients.push(client);
    const { qr } = await client.waitFor('connection.update', (u) => !!u.qr);
    expect(sim.scanQr(qr!, '15550001009')).toBe('refreshed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.latestQr()).toBe(qr);
    expect(() => sim.scanQr(qr!, '15550001009')).toThrow(/Couldn't link device/);
    expect(sim.users().some((u) => u.pn === '15550001009')).toBe(false);
  });

  test('with the refresh switched off, the first scan links (the WhatsApp rc14 was written for)', async () => {
    const old = await Simulator.start({ behaviours: { qrRefresh: false } });
    const client = await TestClient.create(old, undefined, { refreshFix: false });
    try {
      const { qr } = await client.waitFor('connection.update', (u) => !!u.qr);
      expect(old.scanQr(qr!, '15550001010')).toBe('linked');
      expect(await client.waitForClose()).toBe(515);
    } finally {
      await client.end();
      await old.stop();
    }
  });

  test('a pairing-success whose HMAC does not match the QR secret makes pairing fail on the client', async () => {
    const client = await TestClient.create(sim);
    clients.push(client);
    const { qr } = await client.waitFor('connection.update', (u) => !!u.qr);
    expect(sim.scanQr(qr!, '15550001002')).toBe('refreshed');
    const { qr: refreshed } = await client.waitFor('connection.update', (u) => !!u.qr && u.qr !== qr);
    sim.scanQr(refreshed!, '15550001002', { corruptHmac: true });
    const close = await client.waitFor('connection.update', (u) => u.connection === 'close');
    expect((close.lastDisconnect?.error as Error).message).toMatch(/Invalid account signature/);
    expect(client.auth.creds.me).toBeUndefined();
    expect(sim.user('15550001002').devices.size).toBe(0);
  });

  test('pairing code with a standard platform display: WhatsApp accepts it, the phone enters the code, the device links', async () => {
    const client = await TestClient.create(sim);
    clients.push(client);
    await client.waitFor('connection.update', (u) => !!u.qr);
    const code = await requestPairingCode(await loadBaileys(), client.sock, '15550001003', 'Chrome (Windows)');
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    await sim.enterPairingCode('+1 555 000 1003', code);
    expect(await client.waitForClose()).toBe(515);
    client.connect();
    await client.waitFor('connection.update', (u) => u.connection === 'open');
    expect(client.auth.creds.me?.id).toBe('15550001003:1@s.whatsapp.net');
    expect(client.auth.creds.registered).toBe(true);
  });

  test('a wrong pairing code does not link the device', async () => {
    const client = await TestClient.create(sim);
    clients.push(client);
    await client.waitFor('connection.update', (u) => !!u.qr);
    await requestPairingCode(await loadBaileys(), client.sock, '15550001004', 'Chrome (Windows)');
    await sim.enterPairingCode('15550001004', 'AAAAAAAA');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sim.user('15550001004').devices.size).toBe(0);
    expect(client.events.some((e) => e.name === 'connection.update' && (e.data as { isNewLogin?: boolean }).isNewLogin)).toBe(false);
  });

  test("a non-standard platform display: WhatsApp answers 400; rc14's own request still returns a code, ours throws", async () => {
    const client = await TestClient.create(sim);
    clients.push(client);
    await client.waitFor('connection.update', (u) => !!u.qr);
    // rc14 sends "Sandbox Test (Ubuntu)" and returns its local code without waiting for the answer
    expect(await client.sock.requestPairingCode('15550001011')).toMatch(/^[A-Z0-9]{8}$/);
    await expect(sim.enterPairingCode('15550001011', 'AAAAAAAA', 300)).rejects.toThrow(/no client is waiting/);
    const rejected = await requestPairingCode(await loadBaileys(), client.sock, '15550001011', 'Sandbox Test (Ubuntu)').catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(PairingRejectedError);
    expect(rejected).toMatchObject({ code: 400, text: 'bad-request' });
    expect(client.auth.creds.me).toBeUndefined();
  });

  test('login with stored credentials after a restart: no new pairing, prekeys uploaded on first login only', async () => {
    const client = await linkByQr(sim, '15550001005');
    clients.push(client);
    const device = sim.user('15550001005').devices.get(1)!;
    expect(device.preKeyUploads).toBe(1);
    client.sock.end(undefined);
    client.events.length = 0;
    client.connect();
    await client.waitFor('connection.update', (u) => u.connection === 'open');
    expect(client.events.some((e) => e.name === 'connection.update' && !!(e.data as { qr?: string }).qr)).toBe(false);
    expect(device.preKeyUploads).toBe(1);
  });

  test.each([
    ['restart', 515],
    ['logout', 401],
    ['replaced', 440],
    ['drop', 428],
  ] as const)('forced disconnect "%s" gives DisconnectReason %i on the client', async (kind, code) => {
    const client = await linkByQr(sim, '15550001006');
    clients.push(client);
    client.events.length = 0;
    sim.disconnect('15550001006', kind);
    const close = await client.waitFor('connection.update', (u) => u.connection === 'close');
    expect(statusCode(close.lastDisconnect?.error)).toBe(code);
    if (kind === 'logout') {
      client.events.length = 0;
      client.connect();
      expect(await client.waitForClose()).toBe(401);
    }
  });
});
