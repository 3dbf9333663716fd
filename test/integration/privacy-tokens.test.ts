/**
 * After a 1:1 send Baileys issues the account's privacy token (tctoken) to the contact once per time bucket and
 * records when. rc14 records it inside an ended key transaction, which loses it, so every send issued again; the
 * runtime runs such late calls outside it (whatsapp/key-transactions). Counted where WhatsApp would see it.
 */
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

const ACCOUNT = '15550017000';
const CONTACT = '15550017001';

describe('privacy tokens', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime();
    await linkSession(t, 'tokens', ACCOUNT);
  });
  afterAll(async () => {
    await t.close();
  });

  test('five sends to one contact issue the account privacy token to it once', async () => {
    const sim = t.runtime.sandbox!;
    sim.createUser({ phone: CONTACT, name: 'Tess' });
    const send = async (text: string) => expect((await t.api('POST', '/api/v1/sessions/tokens/messages/text', { to: CONTACT, text })).status).toBe(200);
    for (let i = 0; i < 5; i++) await send(`hello ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const issued = sim.user(ACCOUNT).issuedPrivacyTokens;
    expect(issued).toHaveLength(1);
    expect(issued[0].jid).toBe(sim.user(CONTACT).pnJid);
  });
});
