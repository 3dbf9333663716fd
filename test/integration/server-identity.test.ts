/**
 * The runtime trusts only the server whose certificate chain is signed by the pinned root: a simulator with another
 * root key is refused during the Noise handshake, before any QR code is shown (rc14 alone accepted it).
 */
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { loadBaileys } from '../../src/runtime/whatsapp/baileys';
import { startRuntime } from '../helpers/runtime';

describe('server identity', () => {
  test("Baileys' Curve.verify refuses a signature that does not match (after loading through the runtime)", async () => {
    const b = await loadBaileys();
    const key = b.Curve.generateKeyPair();
    const message = Buffer.from('details');
    const signature = b.Curve.sign(key.private, message);
    expect(b.Curve.verify(key.public, message, signature)).toBe(true);
    const forged = Buffer.from(signature);
    forged[10] ^= 1;
    expect(b.Curve.verify(key.public, message, forged)).toBe(false);
    expect(b.Curve.verify(b.Curve.generateKeyPair().public, message, signature)).toBe(false);
  });

  test('a runtime pinned to one simulator refuses another one with a different root key', async () => {
    const trusted = await Simulator.start();
    const impostor = await Simulator.start();
    const config = { sandbox: false, sandboxUrl: impostor.url, sandboxRootKey: trusted.rootPublicKeyBase64, sandboxMediaCa: impostor.media.certificatePem, reconnectBaseDelayMs: 50, reconnectMaxDelayMs: 100 };
    const t = await startRuntime(config);
    try {
      await t.api('POST', '/api/v1/sessions', { id: 'pinned' });
      const refused = await t.waitForEvent((e) => e.type === 'session.status' && e.session === 'pinned' && /certificate/i.test(JSON.stringify(e.data)), 10_000);
      expect(JSON.stringify(refused.data)).toMatch(/noise intermediate certificate signature invalid/);
      expect(t.events.some((e) => e.type === 'session.qr')).toBe(false);
      expect((await t.api('GET', '/api/v1/sessions/pinned/qr?format=raw')).status).not.toBe(200);
    } finally {
      await t.close();
      await trusted.stop();
      await impostor.stop();
    }
  });

  test('the same runtime pinned to the right root links as usual (control)', async () => {
    const sim = await Simulator.start();
    const t = await startRuntime({ sandbox: false, sandboxUrl: sim.url, sandboxRootKey: sim.rootPublicKeyBase64, sandboxMediaCa: sim.media.certificatePem });
    try {
      await t.api('POST', '/api/v1/sessions', { id: 'control' });
      await t.waitForEvent((e) => e.type === 'session.qr' && e.session === 'control', 10_000);
    } finally {
      await t.close();
      await sim.stop();
    }
  });
});
