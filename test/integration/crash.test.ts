import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { BUILT, linkChildSession, startChild } from '../helpers/child-runtime';
import { Receiver } from '../helpers/receiver';
import { until } from '../helpers/until';
if (!BUILT) process.stdout.write('dist/ is missing: the kill -9 test is SKIPPED (run `npm run build` first)\n');

(BUILT ? describe : describe.skip)('kill -9 of the runtime process', () => {
  test('events accepted from WhatsApp but not yet delivered are all delivered after a restart', async () => {
    const sim = await Simulator.start();
    const receiver = await Receiver.start();
    const dataDir = mkdtempSync(join(tmpdir(), 'wa-crash-'));
    let child: ChildProcess | undefined;
    try {
      sim.createUser({ phone: '15550011001', name: 'Kim' });
      let runtime = await startChild(sim, dataDir);
      child = runtime.child;
      const api = (method: string, path: string, body?: unknown) => runtime.api(method, path, body);

      await linkChildSession(runtime, sim, 'crash', '15550011000');
      const hook = (await (await api('POST', '/webhooks', { url: receiver.url, events: ['message.received'] })).json()) as { id: string };

      receiver.respond = () => 503;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await sim.sendMessage('15550011001', '15550011000', buildMessage.text(`before crash ${i}`)));
      // every message reached the outbox and none was delivered (the first one blocks its chat's lane by retrying)
      await until(async () => ((await (await api('GET', `/webhooks/${hook.id}/deliveries?status=pending`)).json()) as { deliveries: unknown[] }).deliveries.length === 5);
      expect(receiver.delivered()).toHaveLength(0);
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));

      receiver.respond = () => 200;
      runtime = await startChild(sim, dataDir);
      child = runtime.child;
      await receiver.waitFor(() => ids.every((id) => receiver.delivered().some((x) => x.json.data.messageId === id)), 20_000);
      const eventIdsByMessage = new Map<string, Set<string>>();
      for (const request of receiver.requests) {
        const messageId = request.json.data.messageId as string;
        eventIdsByMessage.set(messageId, (eventIdsByMessage.get(messageId) ?? new Set()).add(request.json.id));
      }
      for (const id of ids) expect(eventIdsByMessage.get(id)?.size).toBe(1);
      expect(receiver.requests.every((r) => r.headers['x-webhook-id'] === hook.id)).toBe(true);
    } finally {
      child?.kill('SIGKILL');
      await receiver.close();
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
