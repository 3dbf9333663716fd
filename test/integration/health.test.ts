/**
 * Health probes: liveness answers while the process does; readiness follows the store (a Redis of the test's own,
 * stopped and started again) and shows a key's sessions only to a key that may read them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ADMIN_KEY, startRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis) process.stdout.write('redis-server is not installed: the readiness test against a stopped Redis is SKIPPED\n');

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  await until(() => output.includes('Ready to accept connections'), 10_000);
  return child;
}

test('liveness and readiness; details only for a key that may read', async () => {
  const t = await startRuntime();
  try {
    await t.api('POST', '/api/v1/sessions', { id: 'probed', start: false });
    const live = await fetch(`${t.runtime.url}/health/live`);
    expect(live.status).toBe(200);
    const anonymous = await fetch(`${t.runtime.url}/health/ready`);
    expect(anonymous.status).toBe(200);
    const body = (await anonymous.json()) as { status: string; checks: Record<string, { ok: boolean }>; sessions?: unknown };
    expect(body).toMatchObject({ status: 'ready', checks: { store: { ok: true }, sessions: { ok: true }, delivery: { ok: true } } });
    expect(body.sessions).toBeUndefined();
    const detailed = (await (await fetch(`${t.runtime.url}/health/ready`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as { sessions: { id: string; status: string }[] };
    expect(detailed.sessions).toEqual([{ id: 'probed', status: 'stopped' }]);
    const other = (await t.api('POST', '/api/v1/keys', { name: 'other', permissions: ['read'], sessions: ['elsewhere'] })).body.key;
    const scoped = (await (await fetch(`${t.runtime.url}/health/ready`, { headers: { authorization: `Bearer ${other}` } })).json()) as { sessions: unknown[] };
    expect(scoped.sessions).toEqual([]);
    expect((await fetch(`${t.runtime.url}/health`)).status).toBe(200);
  } finally {
    await t.close();
  }
});

(hasRedis ? test : test.skip)('readiness is 503 while Redis is down and 200 once it is back; liveness stays 200', async () => {
  const port = await freePort();
  let redis = await startRedis(port);
  const t = await startRuntime({ redisUrl: `redis://127.0.0.1:${port}` });
  try {
    expect((await fetch(`${t.runtime.url}/health/ready`)).status).toBe(200);
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    let down: { status: string; checks: { store: { ok: boolean; detail: string } } } | undefined;
    await until(async () => {
      const response = await fetch(`${t.runtime.url}/health/ready`);
      if (response.status !== 503) return false;
      down = (await response.json()) as typeof down;
      return true;
    }, 15_000);
    expect(down).toMatchObject({ status: 'not_ready', checks: { store: { ok: false } } });
    expect(down!.checks.store.detail).toMatch(/redis does not answer/);
    expect((await fetch(`${t.runtime.url}/health/live`)).status).toBe(200);
    redis = await startRedis(port);
    await until(async () => (await fetch(`${t.runtime.url}/health/ready`)).status === 200, 20_000);
  } finally {
    await t.close();
    redis.kill('SIGKILL');
  }
}, 60_000);
