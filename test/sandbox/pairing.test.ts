import { Simulator } from '../../src/runtime/sandbox/simulator';
import { TestClient, linkByQr, statusCode } from '../helpers/baileys-client';

describe('sandbox: pairing and login through real Baileys', () => {
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
    expect(account.devices.get(1)?.preKeys.size).toBe(812);
  });
});
