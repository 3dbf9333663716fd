/** Linking a session through the runtime against the simulator with the real WhatsApp of late 2026 switched on. */
import { startRuntime, scanSessionQr, type TestRuntime } from '../helpers/runtime';
import type { RuntimeEvent } from '../../src/runtime/events/schema';

const isStatus = (session: string, status: string) => (e: RuntimeEvent) => e.type === 'session.status' && e.session === session && (e.data as { status: string }).status === status;
const qrFields = (e: RuntimeEvent) => (e.data as { qr: string }).qr.split('#')[1].split(',');

describe('linking as WhatsApp expects it now', () => {
  let t: TestRuntime | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  test('QR: after companion_reg_refresh the session shows the same ref with a new secret, and the second scan links', async () => {
    t = await startRuntime({ browserName: 'Acme Support Desk' });
    await t.api('POST', '/api/v1/sessions', { id: 'qr' });
    await scanSessionQr(t, t.runtime.sandbox!, 'qr', '15550013000');
    await t.waitForEvent(isStatus('qr', 'connected'));
    const qrs = t.events.filter((e) => e.type === 'session.qr' && e.session === 'qr');
    expect(qrs).toHaveLength(2);
    const [first, second] = qrs.map(qrFields);
    expect(second[0]).toBe(first[0]);
    expect(second[3]).not.toBe(first[3]);
    // the label under Linked Devices is ours to choose (QR login accepts any)
    expect(t.runtime.sandbox!.user('15550013000').devices.get(1)?.label).toBe('Acme Support Desk');
  });

  test('pairing code: a non-standard platform display answers 422 pairing_rejected with WhatsApp\'s code; the session stays unlinked', async () => {
    t = await startRuntime({ pairingPlatformDisplay: 'Chrome (Acme)' });
    await t.api('POST', '/api/v1/sessions', { id: 'code' });
    const rejected = await t.api('POST', '/api/v1/sessions/code/pairing-code', { phoneNumber: '+1 555 001 3001' });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error).toMatchObject({ code: 'pairing_rejected', details: { whatsappCode: 400, whatsappText: 'bad-request' } });
    expect(rejected.body.error.message).toMatch(/Chrome \(Windows\)/);
    const view = (await t.api('GET', '/api/v1/sessions/code')).body;
    expect(view.status).not.toBe('pairing_code');
    expect(view.me).toBeUndefined();
  });

  test('pairing code: the standard display is accepted, empty link_code_companion_reg notices are ignored, the phone links with a custom label', async () => {
    t = await startRuntime({ browserName: 'Acme Support Desk' });
    expect(t.runtime.sandbox!.behaviour.emptyLinkCodeNotices).toBe(true);
    await t.api('POST', '/api/v1/sessions', { id: 'code' });
    const { status, body } = await t.api('POST', '/api/v1/sessions/code/pairing-code', { phoneNumber: '15550013002' });
    expect(status).toBe(200);
    await t.runtime.sandbox!.enterPairingCode('15550013002', body.code);
    await t.waitForEvent(isStatus('code', 'connected'), 10_000);
    expect(t.runtime.sandbox!.user('15550013002').devices.get(1)?.label).toBe('Acme Support Desk');
  });

  test('a pinned WhatsApp Web version is what the session announces at login', async () => {
    t = await startRuntime({ waVersion: '2.3000.1012345678' });
    await t.api('POST', '/api/v1/sessions', { id: 'ver' });
    await scanSessionQr(t, t.runtime.sandbox!, 'ver', '15550013003');
    await t.waitForEvent(isStatus('ver', 'connected'), 10_000);
    expect(t.runtime.sandbox!.user('15550013003').devices.get(1)?.appVersion).toBe('2.3000.1012345678');
  });

  test('an invalid pairing platform display is refused at configuration time', async () => {
    await expect(startRuntime({ pairingPlatformDisplay: 'Acme' })).rejects.toThrow(/pairingPlatformDisplay/);
  });
});
