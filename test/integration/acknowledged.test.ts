/**
 * "An acknowledged WhatsApp message is never lost": the built runtime as a child process, killed (SIGKILL) or stopped
 * (SIGTERM) while WhatsApp is handing it messages. The simulator sends again only what the runtime did not
 * acknowledge, as WhatsApp does; everything else must come from the runtime's own journal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { BUILT, linkChildSession, startChild, type ChildRuntime } from '../helpers/child-runtime';
import { Receiver } from '../helpers/receiver';
import { until } from '../helpers/until';

if (!BUILT) process.stdout.write('dist/ is missing: the acknowledged-message kill tests are SKIPPED (run `npm run build` first)\n');

const ACCOUNT = '15550012000';
const CONTACT = '15550012001';

(BUILT ? describe : describe.skip)('acknowledged messages survive a kill or a stop of the runtime', () => {
  let sim: Simulator;
  let receiver: Receiver;
  let dataDir: string;
  let runtime: ChildRuntime | undefined;

  beforeEach(async () => {
    sim = await Simulator.start();
    receiver = await Receiver.start();
    dataDir = mkdtempSync(join(tmpdir(), 'wa-acks-'));
    sim.createUser({ phone: CONTACT, name: 'Ada' });
    runtime = await startChild(sim, dataDir);
    await linkChildSession(runtime, sim, 'acks', ACCOUNT);
    expect((await runtime.api('POST', '/webhooks', { url: receiver.url, events: ['message.received'] })).status).toBe(201);
  });
  afterEach(async () => {
    runtime?.child.kill('SIGKILL');
    await receiver.close();
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const deliveredIds = () => new Set(receiver.delivered().map((r) => r.json.data.messageId as string));

  test.each(['SIGKILL', 'SIGTERM'] as const)('300 messages queued while the runtime is down, %s during the backlog, a new start: all 300 reach the webhook', async (signal) => {
    expect(await runtime!.kill('SIGTERM')).toBe(0);
    const device = sim.user(ACCOUNT).devices.get(1)!;
    // the process is gone; WhatsApp (the simulator) notices the closed socket a moment later
    await until(() => !device.connection, 10_000);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(await sim.sendMessage(CONTACT, ACCOUNT, buildMessage.text(`backlog ${i}`)));
    expect(device.offlineQueue.length).toBeGreaterThanOrEqual(300);

    runtime = await startChild(sim, dataDir);
    // stop it once WhatsApp was told about at least 50 of the backlog: those messages are WhatsApp's no more. Once
    // flushed, the unacknowledged count only falls; on a loaded machine one read can carry every remaining ack, so
    // "some but not all" is not required (the journal must deliver them all the same)
    await until(() => device.offlineQueue.length === 0 && device.unacked.size <= 250, 60_000, 1).catch(async (error: Error) => {
      const session = await runtime!.api('GET', '/sessions/acks').then((res) => res.text(), String);
      throw new Error(`${error.message}: offline queue ${device.offlineQueue.length}, unacknowledged ${device.unacked.size}, connected ${Boolean(device.connection)}; session ${session}; runtime printed: ${runtime!.output().slice(-2000)}`);
    });
    const exit = await runtime.kill(signal);
    const acknowledged = ids.filter((id) => !device.unacked.has(id) && !device.offlineQueue.some((n) => n.attrs.id === id)).length;
    const beforeRestart = deliveredIds();

    runtime = await startChild(sim, dataDir);
    await receiver.waitFor(() => ids.every((id) => deliveredIds().has(id)), 60_000).catch(() => undefined);
    const missing = ids.filter((id) => !deliveredIds().has(id));
    process.stdout.write(`${signal} during a 300-message backlog: exit ${exit}, ${acknowledged} acknowledged to WhatsApp, ${ids.filter((id) => beforeRestart.has(id)).length} delivered before the restart, ${missing.length} missing after it\n`);
    expect(signal === 'SIGTERM' ? exit : 'killed').toBe(signal === 'SIGTERM' ? 0 : 'killed');
    expect(acknowledged).toBeGreaterThanOrEqual(50);
    expect(missing).toEqual([]);
  }, 210_000);

  test('a live stream of 1000 messages with SIGKILL in the middle: all 1000 reach the webhook', async () => {
    const ids: string[] = [];
    let exit: Promise<number | null> | undefined;
    for (let i = 0; i < 1000; i++) {
      ids.push(await sim.sendMessage(CONTACT, ACCOUNT, buildMessage.text(`live ${i}`)));
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 5));
      if (i === 500) exit = runtime!.kill('SIGKILL');
    }
    await exit;
    const device = sim.user(ACCOUNT).devices.get(1)!;
    const acknowledged = ids.filter((id) => !device.unacked.has(id) && !device.offlineQueue.some((n) => n.attrs.id === id)).length;
    const beforeRestart = deliveredIds();
    runtime = await startChild(sim, dataDir);
    await receiver.waitFor(() => ids.every((id) => deliveredIds().has(id)), 90_000).catch(() => undefined);
    const missing = ids.filter((id) => !deliveredIds().has(id));
    process.stdout.write(`SIGKILL during a live stream of 1000: ${acknowledged} acknowledged to WhatsApp, ${ids.filter((id) => beforeRestart.has(id)).length} delivered before the restart, ${missing.length} missing after it\n`);
    expect(acknowledged).toBeGreaterThan(beforeRestart.size);
    expect(missing).toEqual([]);
  }, 180_000);
});
