import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unsupportedNode } from '../../src/runtime/node-version';

const BIN = join(__dirname, '..', '..', 'bin', 'whatsapp-runtime.js');
const BUILT = existsSync(join(__dirname, '..', '..', 'dist', 'src', 'runtime', 'cli.js'));
if (!BUILT) process.stdout.write('dist/ is missing: the CLI test is SKIPPED (run `npm run build` first)\n');

(BUILT ? describe : describe.skip)('the CLI runs the runtime as a child process', () => {
  test('prints where the API is and the admin key once, serves it, and exits cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wa-cli-'));
    try {
      const first = await startCli(dataDir);
      expect(first.output).toMatch(/REST API: +http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
      expect(first.output).toMatch(/SANDBOX/);
      const key = /admin API key \(shown once, stored hashed\): (wa_\S+)/.exec(first.output)?.[1];
      expect(key).toBeDefined();
      const me = await fetch(`${first.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
      expect(me.status).toBe(200);
      expect(await first.stop()).toBe(0);

      const second = await startCli(dataDir);
      expect(second.output).not.toContain(key!);
      expect(second.output).toContain('admin API key: already created');
      expect((await fetch(`${second.url}/api/v1/me`, { headers: { 'x-api-key': key! } })).status).toBe(200);
      expect(await second.stop()).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

test('`whatsapp-runtime sandbox` runs the simulator on its own, with its control API', async () => {
  if (!BUILT) return;
  const child = spawn(process.execPath, [BIN, 'sandbox'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  try {
    const control = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /(http:\/\/127\.0\.0\.1:\d+)\/api\/v1\/sandbox/.exec(output);
        if (match && /WA_SANDBOX_ROOT_KEY=/.test(output)) {
          clearInterval(timer);
          resolve(match[1]);
        }
      }, 20);
      child.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`the simulator exited with ${code}: ${output}`));
      });
    });
    const created = await fetch(`${control}/api/v1/sandbox/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: '15550990001', name: 'Solo' }) });
    expect(created.status).toBe(201);
    const sandbox = (await (await fetch(`${control}/api/v1/sandbox`)).json()) as { url: string };
    expect(sandbox.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+/);
  } finally {
    child.kill('SIGTERM');
  }
});

test('on a Node.js that is too old the CLI and the library say so in one line and exit non-zero', () => {
  const old = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => {
    const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    return version && Number(version.slice(1).split('.')[0]) < 22;
  });
  expect(unsupportedNode('20.20.2')).toBe('whatsapp-runtime needs Node.js 22.16 or newer (22 LTS or 24); this is Node.js 20.20.2');
  expect(unsupportedNode('22.15.0')).toBeDefined();
  expect(unsupportedNode('22.16.0')).toBeUndefined();
  expect(unsupportedNode('24.21.0')).toBeUndefined();
  if (!old) {
    process.stdout.write('no Node.js older than 22 on this machine: the CLI is not started on one (SKIPPED)\n');
    return;
  }
  const cli = spawnSync(old, [BIN, '--sandbox', '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
  expect(cli.status).toBe(1);
  expect(cli.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^whatsapp-runtime needs Node\.js 22\.16 or newer \(22 LTS or 24\); this is Node\.js 20\./)]);
  const library = spawnSync(old, ['-e', "try { require('./index.js') } catch (e) { console.error(e.message); process.exit(3) }"], { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 20_000 });
  expect(library.status).toBe(3);
  expect(library.stderr).toMatch(/needs Node\.js 22\.16 or newer/);
});

async function startCli(dataDir: string) {
  const child = spawn(process.execPath, [BIN, '--sandbox', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match && /admin API key/.test(output)) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`the CLI exited with ${code}: ${output}`));
    });
  });
  return {
    url,
    output,
    stop: () =>
      new Promise<number | null>((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
