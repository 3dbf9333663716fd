/**
 * API keys with scopes, through the REST API of a runtime with two linked sessions: what a key over one session
 * may see and do, revocation and expiry, every documented route refused to a key without its permission, and
 * the audit log of it all.
 */
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';
import { Receiver } from '../helpers/receiver';

let t: TestRuntime;
const A = 'shop-a';
const B = 'shop-b';
const A_PHONE = '15550101000';
const B_PHONE = '15550102000';
const CUSTOMER = '15550103000';

beforeAll(async () => {
  t = await startRuntime();
  t.runtime.sandbox!.createUser({ phone: CUSTOMER, name: 'Customer' });
  await linkSession(t, A, A_PHONE);
  await linkSession(t, B, B_PHONE);
}, 60_000);
afterAll(async () => t?.close());

async function createKey(body: Record<string, unknown>): Promise<{ key: string; id: string }> {
  const created = await t.api('POST', '/api/v1/keys', body);
  expect(created.status).toBe(201);
  return created.body;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
type Answer = { status: number; body: any };

function as(key: string): (method: string, path: string, body?: unknown) => Promise<Answer> {
  return async (method, path, body) => {
    const response = await fetch(`${t.runtime.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text() };
  };
}

describe('a key scoped to one session', () => {
  test('read on A: reads A, cannot send (403 naming send), cannot see B (404, and not listed)', async () => {
    const { key } = await createKey({ name: 'reader of A', permissions: ['read'], sessions: [A] });
    expect(key).toMatch(/^wa_test_[A-Za-z0-9_-]{43}$/);
    const api = as(key);
    expect((await api('GET', `/api/v1/sessions/${A}`)).body.status).toBe('connected');
    expect((await api('GET', '/api/v1/sessions')).body.sessions.map((s: { id: string }) => s.id)).toEqual([A]);
    const send = await api('POST', `/api/v1/sessions/${A}/messages/text`, { to: CUSTOMER, text: 'hi' });
    expect(send.status).toBe(403);
    expect(send.body.error).toMatchObject({ code: 'missing_permission', details: { permission: 'send' } });
    const other = await api('GET', `/api/v1/sessions/${B}`);
    const missing = await api('GET', '/api/v1/sessions/no-such-session');
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe(missing.body.error.code);
    expect((await api('POST', `/api/v1/sessions/${B}/messages/text`, { to: CUSTOMER, text: 'hi' })).status).toBe(404);
    expect((await api('GET', '/api/v1/keys')).status).toBe(403);
    const me = (await api('GET', '/api/v1/me')).body;
    expect(me).toMatchObject({ permissions: ['read'], sessions: [A], role: 'scoped', sandbox: true });
    expect(me.prefix).toBe(key.slice(0, 12));
  });

  test('its event stream and its webhooks carry only its sessions', async () => {
    const { key } = await createKey({ name: 'A integration', permissions: ['read', 'manage'], sessions: [A] });
    const api = as(key);
    const hook = await Receiver.start();
    const hits = () => hook.requests.map((r) => r.json.session);
    const controller = new AbortController();
    try {
      const webhook = await api('POST', '/api/v1/webhooks', { url: hook.url, events: ['message.received'] });
      expect(webhook.status).toBe(201);
      expect(webhook.body.sessions).toEqual([A]);
      expect((await api('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/b', sessions: [B] })).status).toBe(404);
      const stream = await fetch(`${t.runtime.url}/api/v1/events?events=message.received`, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal });
      const reader = stream.body!.getReader();
      let text = '';
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          text += Buffer.from(value!).toString();
        }
      })();
      const sim = t.runtime.sandbox!;
      await sim.sendMessage(CUSTOMER, B_PHONE, buildMessage.text('to B'));
      await sim.sendMessage(CUSTOMER, A_PHONE, buildMessage.text('to A'));
      await until(() => text.includes('to A') && hits().length > 0);
      expect(text).not.toContain('to B');
      expect(hits()).toEqual([A]);
      const adminList = (await t.api('GET', '/api/v1/webhooks')).body.webhooks.length;
      expect(adminList).toBeGreaterThanOrEqual((await api('GET', '/api/v1/webhooks')).body.webhooks.length);
    } finally {
      controller.abort();
      await hook.close();
    }
  });

  test('send on A creates no sessions, manage on A creates A only', async () => {
    const sender = as((await createKey({ name: 'sender', permissions: ['send'], sessions: [A] })).key);
    expect((await sender('POST', '/api/v1/sessions', { id: A })).status).toBe(403);
    const manager = as((await createKey({ name: 'manager', permissions: ['manage'], sessions: ['shop-c'] })).key);
    expect((await manager('POST', '/api/v1/sessions', { id: 'shop-d', start: false })).status).toBe(404);
    expect((await manager('POST', '/api/v1/sessions', { id: 'shop-c', start: false })).status).toBe(201);
    expect((await manager('DELETE', '/api/v1/sessions/shop-c')).status).toBe(204);
  });
});

describe('revocation and expiry', () => {
  test('a revoked key is refused on its next request and its open stream ends', async () => {
    const { key, id } = await createKey({ name: 'short-lived', permissions: ['read'], sessions: '*' });
    const stream = await fetch(`${t.runtime.url}/api/v1/events`, { headers: { authorization: `Bearer ${key}` } });
    expect(stream.status).toBe(200);
    const ended = (async () => {
      const reader = stream.body!.getReader();
      for (;;) if ((await reader.read()).done) return true;
    })();
    const revoked = await t.api('DELETE', `/api/v1/keys/${id}`);
    expect(revoked.body).toMatchObject({ id, status: 'revoked' });
    const refused = await as(key)('GET', '/api/v1/me');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/revoked/);
    expect(await ended).toBe(true);
  });

  test('an expired key is refused', async () => {
    const { key, id } = await createKey({ name: 'expiring', permissions: ['read'], sessions: '*', expiresInDays: 1 / 86_400 });
    expect((await as(key)('GET', '/api/v1/me')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refused = await as(key)('GET', '/api/v1/me');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/expired/);
    const audit = (await t.api('GET', '/api/v1/audit?action=key.expired')).body.entries;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: { type: 'system' }, target: { type: 'key', id } });
  });

  test('keys are listed without their secret, with last use; the last admin key cannot be revoked', async () => {
    const listed = (await t.api('GET', '/api/v1/keys?status=all')).body.keys as Record<string, unknown>[];
    expect(listed.every((k) => !('hash' in k) && !('key' in k))).toBe(true);
    const admin = listed.find((k) => k.source === 'configured')!;
    expect(admin).toMatchObject({ permissions: ['admin'], sessions: '*', status: 'active' });
    expect(admin.useCount).toBeGreaterThan(0);
    const last = await t.api('DELETE', `/api/v1/keys/${admin.id}`);
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('last_admin_key');
    expect((await t.api('POST', '/api/v1/keys', { name: 'bad', permissions: ['admin'], sessions: [A] })).status).toBe(400);
    expect((await t.api('POST', '/api/v1/keys', { name: 'bad', permissions: ['read'], sessions: '*', expiresAt: '2020-01-01T00:00:00Z' })).status).toBe(400);
    expect((await t.api('POST', '/api/v1/keys', { name: 'bad', permissions: ['root'], sessions: '*' })).status).toBe(400);
  });
});

test('every route in the OpenAPI document declares its permission and refuses a key without it', async () => {
  const document = (await t.api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { 'x-permission'?: string }>> };
  const all = ['read', 'send', 'manage', 'admin', 'metrics'];
  const keys = new Map<string, string>();
  for (const permission of all) {
    const others = permission === 'admin' ? ['read', 'send', 'manage'] : all.filter((p) => p !== permission && p !== 'admin');
    keys.set(permission, (await createKey({ name: `all but ${permission}`, permissions: others, sessions: '*' })).key);
  }
  const refusedWrongly: string[] = [];
  let checked = 0;
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const permission = operation['x-permission'];
      if (!permission) {
        refusedWrongly.push(`${method} ${path}: no x-permission`);
        continue;
      }
      if (permission === 'any' || permission === 'public') continue;
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'id' && path.startsWith('/api/v1/sessions') ? A : 'x'));
      const response = await as(keys.get(permission)!)(method.toUpperCase(), url);
      checked++;
      if (response.status !== 403 || response.body.error?.details?.permission !== permission) refusedWrongly.push(`${method} ${path}: ${response.status} ${JSON.stringify(response.body).slice(0, 120)}`);
    }
  }
  expect(refusedWrongly).toEqual([]);
  expect(checked).toBeGreaterThan(90);
});

test('campaigns, pairing codes, logouts and exports are audited too', async () => {
  const campaign = await t.api('POST', `/api/v1/sessions/${A}/campaigns`, { template: { kind: 'text', text: 'hi' }, recipients: [{ to: CUSTOMER }], sendAt: new Date(Date.now() + 3_600_000).toISOString() });
  expect(campaign.status).toBe(201);
  await t.api('POST', `/api/v1/sessions/${A}/campaigns/${campaign.body.campaign.id}/cancel`);
  await t.api('POST', '/api/v1/sessions', { id: 'paired' });
  expect((await t.api('POST', '/api/v1/sessions/paired/pairing-code', { phoneNumber: '+1 555 010 9000' })).status).toBe(200);
  await t.api('POST', '/api/v1/sessions/paired/logout');
  await t.api('DELETE', '/api/v1/sessions/paired');
  const { entries } = (await t.api('GET', '/api/v1/audit?limit=50')).body as { entries: { action: string; target?: { type: string; id: string }; session?: string; result: string }[] };
  const seen = entries.map((e) => `${e.action} ${e.target?.type}:${e.target?.id} ${e.result}`);
  expect(seen).toEqual(
    expect.arrayContaining([
      `campaign.created campaign:${campaign.body.campaign.id} success`,
      `campaign.cancelled campaign:${campaign.body.campaign.id} success`,
      'session.created session:paired success',
      'session.pairing_code_requested session:paired success',
      'session.logged_out session:paired success',
      'session.deleted session:paired success',
    ]),
  );
});

test('the audit log records who did what, without secrets', async () => {
  const { key, id } = await createKey({ name: 'auditor test', permissions: ['manage', 'send'], sessions: [A] });
  const api = as(key);
  await api('POST', `/api/v1/sessions/${A}/stop`);
  await api('POST', `/api/v1/sessions/${A}/start`);
  await api('PATCH', `/api/v1/sessions/${A}/outbound/settings`, { minGapMs: 0, maxGapMs: 0 });
  const webhook = await api('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/audit', secret: 'super-secret-webhook-value-1234' });
  await api('PATCH', `/api/v1/webhooks/${webhook.body.id}`, { secret: 'another-secret-webhook-value-5678' });
  await api('DELETE', `/api/v1/webhooks/${webhook.body.id}`);
  await api('DELETE', `/api/v1/sessions/${B}`);
  await as('wa_test_not-a-key')('GET', '/api/v1/me');
  await t.api('DELETE', `/api/v1/keys/${id}`);
  await t.waitForEvent((e) => e.type === 'session.status' && e.session === A && (e.data as { status: string }).status === 'connected');

  const { entries } = (await t.api('GET', '/api/v1/audit?limit=500')).body as { entries: { action: string; actor: { id?: string; type: string }; target?: { id: string }; result: string; status?: number; session?: string }[] };
  const byKey = entries.filter((e) => e.actor.id === id).map((e) => `${e.action}:${e.result}`);
  expect(byKey.reverse()).toEqual(['session.stopped:success', 'session.started:success', 'outbound.settings_changed:success', 'webhook.created:success', 'webhook.changed:success', 'webhook.deleted:success', 'session.deleted:failure']);
  expect(entries.find((e) => e.action === 'key.created' && e.target?.id === id)).toMatchObject({ actor: { type: 'key' }, result: 'success' });
  expect(entries.find((e) => e.action === 'key.revoked' && e.target?.id === id)).toBeDefined();
  expect(entries.find((e) => e.action === 'auth.failed')).toMatchObject({ actor: { type: 'anonymous' }, result: 'failure' });
  expect(entries.filter((e) => e.action === 'session.linked').map((e) => e.session).sort()).toEqual([A, B]);
  expect(entries.find((e) => e.action === 'webhook.changed')).toMatchObject({ details: { secretRotated: true } });
  const text = JSON.stringify(entries);
  expect(text).not.toContain('super-secret');
  expect(text).not.toContain('another-secret');
  expect(text).not.toContain(key);
  const filtered = (await t.api('GET', `/api/v1/audit?action=session.*&session=${A}&limit=2`)).body;
  expect(filtered.entries).toHaveLength(2);
  expect(filtered.entries.every((e: { action: string; session: string }) => e.action.startsWith('session.') && e.session === A)).toBe(true);
  const next = (await t.api('GET', `/api/v1/audit?action=session.*&session=${A}&limit=2&before=${filtered.nextCursor}`)).body;
  expect(next.entries[0].seq).toBeLessThan(filtered.entries[1].seq);
});
