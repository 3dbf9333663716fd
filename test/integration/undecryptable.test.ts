/** Messages that fail to decrypt (as after WhatsApp's LID migration) are reported, retried, then delivered. */
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import type { RuntimeEvent } from '../../src/runtime/events/schema';

const ACCOUNT = '15550014000';

describe('undecryptable messages', () => {
  let t: TestRuntime | undefined;
  let sim: Simulator | undefined;
  afterEach(async () => {
    await t?.close();
    await sim?.stop();
    t = sim = undefined;
  });
  const about = (type: string, id: string) => (e: RuntimeEvent) => e.type === type && (e.data as { messageId: string }).messageId === id;

  test.each([
    ['the first message of a contact (pkmsg)', false],
    ['a message in an established session (msg)', true],
  ])('%s: message.undecryptable with the reason, a retry receipt, then message.received with the same id', async (_name, established) => {
    t = await startRuntime();
    await linkSession(t, 'dec', ACCOUNT);
    const phone = t.runtime.sandbox!;
    phone.createUser({ phone: '15550014001', name: 'Lin' });
    if (established) {
      const hello = await phone.sendMessage('15550014001', ACCOUNT, buildMessage.text('hello'));
      await t.waitForEvent(about('message.received', hello));
    }
    const id = await phone.sendMessage('15550014001', ACCOUNT, buildMessage.text('can you read me?'), { undecryptable: true });
    const reported = await t.waitForEvent(about('message.undecryptable', id));
    expect(reported.data).toMatchObject({ messageId: id, chatId: '15550014001@s.whatsapp.net', from: '15550014001@s.whatsapp.net', fromPhoneNumber: '15550014001', retryRequested: true, offline: false });
    expect((reported.data as { reason: string }).reason).toMatch(/MAC/i);
    expect((reported.data as { fromLid?: string }).fromLid).toBe(phone.user('15550014001').lidJid);
    const received = await t.waitForEvent(about('message.received', id));
    expect(received.data).toMatchObject({ text: 'can you read me?', from: '15550014001@s.whatsapp.net' });
    expect(phone.retryReceipts(id).length).toBeGreaterThanOrEqual(1);
    expect(t.events.filter(about('message.received', id))).toHaveLength(1);
    expect((await t.api('GET', '/api/v1/sessions/dec')).body.undecryptableMessages).toBe(1);
  });

  test('when the sender never encrypts again, the message stays reported (never silent)', async () => {
    sim = await Simulator.start({ behaviours: { resendOnRetry: false } });
    t = await startRuntime({ sandbox: false, sandboxUrl: sim.url, sandboxRootKey: sim.rootPublicKeyBase64, sandboxMediaCa: sim.media.certificatePem });
    await t.api('POST', '/api/v1/sessions', { id: 'dec' });
    await sim.scanQrUntilLinked(async () => (await t!.api('GET', '/api/v1/sessions/dec/qr?format=raw')).body as string, ACCOUNT);
    await t.waitForEvent((e) => e.type === 'session.status' && (e.data as { status: string }).status === 'connected', 10_000);
    sim.createUser({ phone: '15550014002' });
    const id = await sim.sendMessage('15550014002', ACCOUNT, buildMessage.text('lost?'), { undecryptable: true });
    await t.waitForEvent(about('message.undecryptable', id));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(sim.retryReceipts(id).length).toBeGreaterThanOrEqual(1);
    expect(t.events.some(about('message.received', id))).toBe(false);
  });
});
