import { Simulator } from '../../src/runtime/sandbox/simulator';
import { TestClient, linkByQr, statusCode } from '../helpers/baileys-client';

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

  test('QR pairing: isNewLogin, the 515 restart, then open with me.id and me.lid', async () => {
    const client = await TestClient.create(sim);
    clients.push(client);
    const { qr } = await client.waitFor('connection.update', (u) => !!u.qr);
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
    sim.scanQr(qr!, '+1 555 000 1001');
    await client.waitFor('connection.update', (u) => u.isNewLogin === true);
    expect(await client.waitForClose()).toBe(515);
    client.connect();
    await client.waitFor('connection.update', (u) => u.connection === 'open');
    const account = sim.user('15550001001');
    expect(client.auth.creds.me?.id).toBe(`15550001001:1@s.whatsapp.net`);
    expect(client.auth.creds.me?.lid).toBe(`${account.lid}:1@lid`);
    expect(account.devices.get(1)?.preKeyUploads).toBe(1);
    expect(account.devices.get(1)?.preKeysUploaded).toBe(812);
  });

  test('a pairing-success whose HMAC does not match the QR secret makes pairing fail on the client', async () => {
    const client = await TestClient.create(sim);
    clients.push(client);
    const { qr } = await client.waitFor('connection.update', (u) => !!u.qr);
    sim.scanQr(qr!, '15550001002', { corruptHmac: true });
    const close = await client.waitFor('connection.update', (u) => u.connection === 'close');
    expect((close.lastDisconnect?.error as Error).message).toMatch(/Invalid account signature/);
    expect(client.auth.creds.me).toBeUndefined();
    expect(sim.user('15550001002').devices.size).toBe(0);
  });

  test('pairing code: requestPairingCode returns a code, the phone enters it, the device links', async () => {
    const client = await TestClient.create(sim);
    clients.push(client);
    await client.waitFor('connection.update', (u) => !!u.qr);
    const code = await client.sock.requestPairingCode('15550001003');
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
    await client.sock.requestPairingCode('15550001004');
    await sim.enterPairingCode('15550001004', 'AAAAAAAA');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sim.user('15550001004').devices.size).toBe(0);
    expect(client.events.some((e) => e.name === 'connection.update' && (e.data as { isNewLogin?: boolean }).isNewLogin)).toBe(false);
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
