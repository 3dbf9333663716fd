/**
 * A chat's messages reach the webhook in the order WhatsApp sent them, also when a reconnect's offline backlog is
 * still being handled while new messages arrive live (rc14 handles the two in separate queues).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { BUILT, linkChildSession, startChild, type ChildRuntime } from '../helpers/child-runtime';
import { Receiver } from '../helpers/receiver';
import { until } from '../helpers/until';

if (!BUILT) process.stdout.write('dist/ is missing: the chat order test is SKIPPED (run `npm run build` first)\n');

const ACCOUNT = '15550013000';
const CONTACTS = ['15550013001', '15550013002'];

(BUILT ? describe : describe.skip)('per-chat order at the webhook', () => {
  let sim: Simulator;
  let receiver: Receiver;
  let dataDir: string;
  let runtime: ChildRuntime | undefined;

  beforeAll(async () => {
    sim = await Simulator.start();
    receiver = await Receiver.start();
    dataDir = mkdtempSync(join(tmpdir(), 'wa-order-'));
    for (const phone of CONTACTS) sim.createUser({ phone });
    runtime = await startChild(sim, dataDir);
    await linkChildSession(runtime, sim, 'order', ACCOUNT);
    expect((await runtime.api('POST', '/webhooks', { url: receiver.url, events: ['message.received'] })).status).toBe(201);
  });
  afterAll(async () => {
    runtime?.child.kill('SIGKILL');
    await receiver.close();
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a backlog of 400 and live messages sent while it is handled: every chat in the order sent', async () => {
    expect(await runtime!.kill('SIGTERM')).toBe(0);
    const device = sim.user(ACCOUNT).devices.get(1)!;
    await until(() => !device.connection, 10_000);
    const sent = new Map<string, string[]>(CONTACTS.map((c) => [c, []]));
    for (let i = 0; i < 400; i++) {
      const contact = CONTACTS[i % 2];
      sent.get(contact)!.push(await sim.sendMessage(contact, ACCOUNT, buildMessage.text(`backlog ${i}`)));
    }
    runtime = await startChild(sim, dataDir);
    // live messages from the moment the socket is logged in, while the backlog is being decrypted
    await until(() => !!device.connection && device.offlineQueue.length === 0, 60_000, 1);
    for (let i = 0; i < 60; i++) {
      const contact = CONTACTS[i % 2];
      sent.get(contact)!.push(await sim.sendMessage(contact, ACCOUNT, buildMessage.text(`live ${i}`)));
      if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const all = [...sent.values()].flat();
    const firsts = () => [...new Set(receiver.delivered().map((r) => r.json.data.messageId as string))];
    await receiver.waitFor(() => all.every((id) => firsts().includes(id)), 60_000);
    const seen = firsts();
    for (const [contact, ids] of sent) {
      const arrived = seen.filter((id) => ids.includes(id));
      const outOfPlace = arrived.filter((id, index) => id !== ids[index]).length;
      process.stdout.write(`chat order: ${contact}: ${ids.length} messages, ${outOfPlace} out of place at the webhook\n`);
      expect(arrived).toEqual(ids);
    }
  }, 180_000);
});
