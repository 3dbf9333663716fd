/** The built CLI (`dist/`, or an installed runtime package's) as a child process against a simulator in the test process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Simulator } from '../../src/runtime/sandbox/simulator';
import { ADMIN_KEY } from './runtime';

const BIN = join(__dirname, '..', '..', 'bin', 'whatsapp-runtime.js');
export const BUILT = existsSync(join(__dirname, '..', '..', 'dist', 'src', 'runtime', 'cli.js'));

export interface ChildRuntime {
  child: ChildProcess;
  url: string;
  api(method: string, path: string, body?: unknown): Promise<Response>;
  /** Sends `signal` and resolves with the exit code (null when killed by the signal). */
  kill(signal: NodeJS.Signals): Promise<number | null>;
  /** What the process printed so far (warnings and errors at the log level the tests use). */
  output(): string;
}

export async function startChild(sim: Simulator, dataDir: string, bin = BIN, env: Record<string, string> = {}): Promise<ChildRuntime> {
  const child = spawn(process.execPath, [bin, '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--sandbox-url', sim.url, '--sandbox-root-key', sim.rootPublicKeyBase64], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WA_ADMIN_API_KEY: ADMIN_KEY, WA_SANDBOX_MEDIA_CA: sim.media.certificatePem, WA_WEBHOOK_RETRY_BASE_DELAY_MS: '50', WA_WEBHOOK_RETRY_MAX_DELAY_MS: '200', WA_WEBHOOK_MAX_ATTEMPTS: '1000', ...env },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`runtime exited with ${code}: ${output}`));
    });
  });
  return {
    child,
    url,
    api: (method, path, body) =>
      fetch(`${url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) }),
    kill: (signal) => {
      child.kill(signal);
      return exited;
    },
    output: () => output,
  };
}

/** Creates `session` on the child runtime and links it by QR as the phone of `phone`. */
export async function linkChildSession(runtime: ChildRuntime, sim: Simulator, session: string, phone: string): Promise<void> {
  await runtime.api('POST', '/sessions', { id: session });
  await sim.scanQrUntilLinked(async () => {
    const qr = await runtime.api('GET', `/sessions/${session}/qr?format=raw`);
    return qr.status === 200 ? qr.text() : undefined;
  }, phone);
  const deadline = Date.now() + 15_000;
  while (((await (await runtime.api('GET', `/sessions/${session}`)).json()) as { status: string }).status !== 'connected') {
    if (Date.now() > deadline) throw new Error(`session ${session} did not connect`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
