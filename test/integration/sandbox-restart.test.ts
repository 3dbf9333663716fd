/** Sandbox and real credentials never mix; the in-process sandbox and terminal states survive a restart. */
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { parseConfig } from '../../src/runtime/config';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import type { RuntimeEvent } from '../../src/runtime/events/schema';

const connected = (session: string) => (e: RuntimeEvent) => e.type === 'session.status' && e.session === session && (e.data as { status: string }).status === 'connected';

async function authKeys(t: TestRuntime, session: string): Promise<number> {
  const kv = t.runtime.store.namespace(`auth:${session}`);
  let count = 0;
  for await (const _entry of kv.iterator!(kv.namespace)) count++;
  return count;
}

describe('sandbox restarts and the WhatsApp a session belongs to', () => {
  const open: TestRuntime[] = [];
  afterEach(async () => {
    for (const t of open.splice(0).reverse()) await t.close().catch(() => undefined);
  });
  const start = async (config: Parameters<typeof startRuntime>[0], dataDir?: string) => {
    const t = await startRuntime(config, dataDir);
    open.push(t);
    return t;
  };

  test('a restart of the in-process sandbox finds its sessions linked: no QR, contacts still write, sends still arrive', async () => {
    const first = await start({});
    await linkSession(first, 'keep', '15550016000');
    const ana = first.runtime.sandbox!.createUser({ phone: '15550016001', name: 'Ana' });
    const hello = await first.runtime.sandbox!.sendMessage(ana.pn, '15550016000', buildMessage.text('before'));
    await first.waitForEvent((e) => e.type === 'message.received' && e.data.messageId === hello);
    await first.close({ keepData: true });
    open.pop();

    const second = await start({}, first.dataDir);
    await second.waitForEvent(connected('keep'), 10_000);
    expect(second.events.some((e) => e.type === 'session.qr')).toBe(false);
    const sim = second.runtime.sandbox!;
    expect(sim.user(ana.pn).name).toBe('Ana');
    const after = await sim.sendMessage(ana.pn, '15550016000', buildMessage.text('after the restart'));
    await second.waitForEvent((e) => e.type === 'message.received' && e.data.messageId === after);
    const sent = await second.api('POST', '/api/v1/sessions/keep/messages/text', { to: ana.pn, text: 'still here' });
    expect(sent.status).toBe(200);
    expect((await sim.waitForReceived(ana.pn, (m) => m.id === sent.body.id)).text).toBe('still here');
  });

  test('a session linked to the sandbox is never started against real WhatsApp: failed with the reason, credentials untouched', async () => {
    const sandboxed = await start({});
    await linkSession(sandboxed, 'sbx', '15550016002');
    await sandboxed.close({ keepData: true });
    open.pop();

    // no sandbox: the runtime would connect to real WhatsApp (the version is pinned so nothing is fetched)
    const real = await start({ sandbox: false, waVersion: 'bundled' }, sandboxed.dataDir);
    const view = (await real.api('GET', '/api/v1/sessions/sbx')).body;
    expect(view.status).toBe('failed');
    expect(view.reason.message).toMatch(/linked to the sandbox/);
    const started = await real.api('POST', '/api/v1/sessions/sbx/start');
    expect(started.status).toBe(409);
    expect(started.body.error.code).toBe('session_linked_elsewhere');
    expect(await authKeys(real, 'sbx')).toBeGreaterThan(0);
    await real.close({ keepData: true });
    open.pop();

    const back = await start({}, sandboxed.dataDir);
    await back.waitForEvent(connected('sbx'), 10_000);
  });

  test('terminal states and their reasons survive a restart', async () => {
    const first = await start({});
    await linkSession(first, 'gone', '15550016003');
    first.runtime.sandbox!.disconnect('15550016003', 'logout');
    await first.waitForEvent((e) => e.type === 'session.status' && (e.data as { status: string }).status === 'logged_out');
    await first.api('POST', '/api/v1/sessions', { id: 'idle' });
    await first.api('POST', '/api/v1/sessions/idle/stop');
    await first.close({ keepData: true });
    open.pop();

    const second = await start({}, first.dataDir);
    expect((await second.api('GET', '/api/v1/sessions/gone')).body).toMatchObject({ status: 'logged_out', reason: { code: 401 } });
    expect((await second.api('GET', '/api/v1/sessions/idle')).body).toMatchObject({ status: 'stopped', reason: { message: 'stopped by request' } });
  });

  test('sandbox mode keeps its own data dir unless one is given', () => {
    expect(parseConfig({ sandbox: true }).dataDir).toBe('./data-sandbox');
    expect(parseConfig({}).dataDir).toBe('./data');
    expect(parseConfig({ sandbox: true, dataDir: '/srv/wa' }).dataDir).toBe('/srv/wa');
  });
});

describe('admin key rotation', () => {
  test('a new WA_ADMIN_API_KEY replaces the one configured before; the old one stops working', async () => {
    const first = await startRuntime({ adminApiKey: 'first-admin-key-0123456789abcdef' });
    const call = (t: TestRuntime, key: string) => fetch(`${t.runtime.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await call(first, 'first-admin-key-0123456789abcdef')).toBe(200);
    await first.close({ keepData: true });
    const second = await startRuntime({ adminApiKey: 'second-admin-key-0123456789abcde' }, first.dataDir);
    try {
      expect(await call(second, 'second-admin-key-0123456789abcde')).toBe(200);
      expect(await call(second, 'first-admin-key-0123456789abcdef')).toBe(401);
    } finally {
      await second.close();
    }
  });
});
