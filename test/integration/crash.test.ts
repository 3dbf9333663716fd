import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { Receiver } from '../helpers/receiver';
import { ADMIN_KEY } from '../helpers/runtime';
import { until } from '../helpers/until';

const BIN = join(__dirname, '..', '..', 'bin', 'whatsapp-runtime.js');
const BUILT = existsSync(join(__dirname, '..', '..', 'dist', 'src', 'runtime', 'cli.js'));
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
      const api = (method: string, path: string, body?: unknown) =>
        fetch(`${runtime.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });

      await api('POST', '/sessions', { id: 'crash' });
      await sim.scanQrUntilLinked(async () => {
        const qr = await api('GET', '/sessions/crash/qr?format=raw');
        return qr.status === 200 ? qr.text() : undefined;
      }, '15550011000');
      await until(async () => ((await (await api('GET', '/sessions/crash')).json()) as { status: string }).status === 'connected');
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

async function startChild(sim: Simulator, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--sandbox-url', sim.url, '--sandbox-root-key', sim.rootPublicKeyBase64], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WA_ADMIN_API_KEY: ADMIN_KEY, WA_SANDBOX_MEDIA_CA: sim.media.certificatePem, WA_WEBHOOK_RETRY_BASE_DELAY_MS: '50', WA_WEBHOOK_RETRY_MAX_DELAY_MS: '200', WA_WEBHOOK_MAX_ATTEMPTS: '1000' },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`runtime exited with ${code}: ${output}`));
    });
  });
  return { child, url };
}
