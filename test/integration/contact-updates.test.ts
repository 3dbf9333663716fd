/**
 * contact.updated says that something about a contact changed: WhatsApp repeats the sender's push name with every
 * message and Baileys turns each into a contacts.update, which must not become an event per message.
 */
import { buildMessage } from '../../src/runtime/sandbox/messages';
import type { RuntimeEvent } from '../../src/runtime/events/schema';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

const ACCOUNT = '15550016000';

describe('contact.updated', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime();
    await linkSession(t, 'contacts', ACCOUNT);
  });
  afterAll(async () => {
    await t.close();
  });

  test('three messages under one push name give one event; a new name gives the next', async () => {
    const sim = t.runtime.sandbox!;
    const ana = sim.createUser({ phone: '15550016001', name: 'Ana' });
    const received = (id: string) => t.waitForEvent((e: RuntimeEvent) => e.type === 'message.received' && e.data.messageId === id);
    for (const text of ['one', 'two', 'three']) await received(await sim.sendMessage(ana.pn, ACCOUNT, buildMessage.text(text)));
    ana.name = 'Ana Lima';
    await received(await sim.sendMessage(ana.pn, ACCOUNT, buildMessage.text('four')));
    await received(await sim.sendMessage(ana.pn, ACCOUNT, buildMessage.text('five')));
    const updates = t.events.filter((e) => e.type === 'contact.updated' && e.data.contactId === ana.pnJid).map((e) => e.data.notify);
    expect(updates).toEqual(['Ana', 'Ana Lima']);
  });
});
