/**
 * What an operator sees: `/metrics` after a scripted run (exact counts; the text checked by Prometheus' own parser,
 * `promtool check metrics`, where Debian's prometheus package is installed),
 * the alert rules and Grafana dashboard referring only to metrics that exist, and request ids from the answer header
 * into the events and webhook deliveries a request caused.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { ADMIN_KEY, linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';
import { Receiver } from '../helpers/receiver';

const SESSION = 'observed';
const PHONE = '15550501000';
const CONTACT = '15550502000';
const TEXT_ROUTE = '/api/v1/sessions/:id/messages/text';

let t: TestRuntime;
const receivers: Receiver[] = [];

async function receiver(status: number): Promise<Receiver> {
  const started = await Receiver.start();
  started.respond = () => status;
  receivers.push(started);
  return started;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of the exposition text (name, labels, value); comments and blank lines skipped. */
function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [, name, labelText = '', value] = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line) ?? [];
      if (!name) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
      return { name, labels, value: Number(value) };
    });
}

async function scrape(key = ADMIN_KEY): Promise<{ status: number; samples: Sample[]; text: string }> {
  const response = await fetch(`${t.runtime.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  const text = await response.text();
  return { status: response.status, text, samples: response.status === 200 ? samples(text) : [] };
}

/** The sum of the samples named `name` whose labels include `labels`. */
function value(all: Sample[], name: string, labels: Record<string, string> = {}): number {
  const matching = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (!all.some((s) => s.name === name)) throw new Error(`no metric ${name}`);
  return matching.reduce((sum, s) => sum + s.value, 0);
}

beforeAll(async () => {
  t = await startRuntime({ webhookMaxAttempts: 1 });
  t.runtime.sandbox!.createUser({ phone: CONTACT, name: 'Observer' });
  await linkSession(t, SESSION, PHONE);
}, 60_000);
afterAll(async () => {
  for (const started of receivers) await started.close();
  await t?.close();
});

test('after a scripted run the counters and histogram counts are exact', async () => {
  const ok = await receiver(200);
  const failing = await receiver(500);
  for (const target of [ok, failing]) expect((await t.api('POST', '/api/v1/webhooks', { url: target.url, events: ['message.received'], sessions: [SESSION] })).status).toBe(201);
  const sim = t.runtime.sandbox!;
  for (const text of ['a', 'b', 'c']) await sim.sendMessage(CONTACT, PHONE, buildMessage.text(text));
  await until(() => ok.requests.length === 3 && failing.requests.length === 3);
  for (const text of ['one', 'two']) expect((await t.api('POST', `/api/v1/sessions/${SESSION}/messages/text`, { to: CONTACT, text })).status).toBe(200);
  const refused = await t.api('POST', `/api/v1/sessions/${SESSION}/messages/text`, { to: 'not a number', text: 'x' });
  expect(refused.status).toBe(400);
  await until(() => t.events.filter((e) => e.type === 'message.sent').length === 2);

  const { samples: families, text } = await scrape();
  expect(value(families, 'wa_messages_received_total', { session: SESSION, kind: 'text' })).toBe(3);
  expect(value(families, 'wa_messages_sent_total', { session: SESSION, kind: 'text' })).toBe(2);
  expect(value(families, 'wa_sends_total', { session: SESSION, result: 'sent' })).toBe(2);
  expect(value(families, 'wa_sends_total', { session: SESSION, result: 'failed', reason: refused.body.error.code })).toBe(1);
  expect(value(families, 'wa_webhook_attempts_total', { result: 'delivered', status_class: '2xx' })).toBe(3);
  expect(value(families, 'wa_webhook_attempts_total', { result: 'failed', status_class: '5xx' })).toBe(3);
  expect(value(families, 'wa_webhook_delivered_total')).toBe(3);
  expect(value(families, 'wa_webhook_dead_lettered_total')).toBe(3);
  expect(value(families, 'wa_webhook_delivery_latency_seconds_count')).toBe(3);
  expect(value(families, 'wa_sessions', { status: 'connected' })).toBe(1);
  const connected = t.events.filter((e) => e.type === 'session.status' && e.session === SESSION && (e.data as { status: string }).status === 'connected').length;
  expect(value(families, 'wa_session_status_changes_total', { session: SESSION, status: 'connected' })).toBe(connected);
  expect(value(families, 'wa_http_requests_total', { route: TEXT_ROUTE, method: 'POST', status: '200' })).toBe(2);
  expect(value(families, 'wa_http_requests_total', { route: TEXT_ROUTE, method: 'POST', status: '400' })).toBe(1);
  expect(value(families, 'wa_http_request_duration_seconds_count', { route: TEXT_ROUTE, method: 'POST' })).toBe(3);
  expect(value(families, 'wa_http_request_duration_seconds_bucket', { route: TEXT_ROUTE, method: 'POST', le: '+Inf' })).toBe(3);
  expect(value(families, 'wa_store_operation_duration_seconds_count', { operation: 'set' })).toBeGreaterThan(0);
  expect(value(families, 'wa_outbox_pending_events')).toBe(0);
  expect(value(families, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  // label values stay bounded: no URL, no message id, no phone number
  expect(families.flatMap((s) => Object.values(s.labels)).filter((v) => v.includes(CONTACT) || v.includes('?'))).toEqual([]);
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (promtool.error) process.stdout.write('promtool is not installed (Debian package prometheus): the metrics text was not checked by Prometheus\' parser\n');
  else expect(promtool.stdout + promtool.stderr).not.toMatch(/parsing error|error while linting/);
});

test('/metrics needs a key with the metrics or admin permission', async () => {
  expect((await fetch(`${t.runtime.url}/metrics`)).status).toBe(401);
  const reader = (await t.api('POST', '/api/v1/keys', { name: 'reader', permissions: ['read'], sessions: '*' })).body.key;
  expect((await scrape(reader)).status).toBe(403);
  const scraper = (await t.api('POST', '/api/v1/keys', { name: 'prometheus', permissions: ['metrics'], sessions: '*' })).body.key;
  expect((await scrape(scraper)).status).toBe(200);
  expect((await fetch(`${t.runtime.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${scraper}` } })).status).toBe(403);
});

test('the alert rules and the Grafana dashboard use only metrics the runtime exports', async () => {
  const { text } = await scrape();
  const exported = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [name, `${name}_bucket`, `${name}_count`, `${name}_sum`] : [name])));
  const root = join(__dirname, '..', '..', 'ops');
  const rules = readFileSync(join(root, 'prometheus', 'alerts.yml'), 'utf8');
  const dashboard = JSON.parse(readFileSync(join(root, 'grafana', 'whatsapp-runtime.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  const expressions = [...rules.matchAll(/expr: (.+)/g)].map(([, expr]) => expr).concat(dashboard.panels.flatMap((p) => p.targets.map((target) => target.expr)));
  const used = new Set(expressions.flatMap((expr) => [...expr.matchAll(/\b((?:wa|process)_[a-z_]+)\b/g)].map(([, name]) => name)));
  expect(used.size).toBeGreaterThan(15);
  expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  const promtool = spawnSync('promtool', ['check', 'rules', join(root, 'prometheus', 'alerts.yml')], { encoding: 'utf8' });
  if (promtool.error) process.stdout.write('promtool is not installed (Debian package prometheus): the alert rules were not checked by it\n');
  else expect(promtool.stdout + promtool.stderr).toContain('SUCCESS');
});

test('a request id comes back in X-Request-Id and travels with the events and webhook deliveries it caused', async () => {
  const hook = await receiver(200);
  await t.api('POST', '/api/v1/webhooks', { url: hook.url, events: ['message.sent'], sessions: [SESSION] });
  const sent = await t.api('POST', `/api/v1/sessions/${SESSION}/messages/text`, { to: CONTACT, text: 'traced' }, { 'x-request-id': 'trace-42.a' });
  expect(sent.headers.get('x-request-id')).toBe('trace-42.a');
  const event = await t.waitForEvent((e) => e.type === 'message.sent' && (e.data as { messageId: string }).messageId === sent.body.id);
  expect(event.requestId).toBe('trace-42.a');
  await until(() => hook.requests.some((r) => r.headers['x-request-id'] === 'trace-42.a'));
  const generated = await t.api('GET', '/api/v1/me', undefined, { 'x-request-id': 'not allowed: spaces' });
  expect(generated.headers.get('x-request-id')).toMatch(/^req_[0-9a-f-]{36}$/);
  // what WhatsApp causes later carries no request id, even on a socket a request once started
  await t.api('POST', `/api/v1/sessions/${SESSION}/restart`, undefined, { 'x-request-id': 'restart-1' });
  await t.waitForEvent((e) => e.type === 'session.status' && e.session === SESSION && e.requestId === undefined && (e.data as { status: string }).status === 'connected' && e.timestamp > event.timestamp, 15_000);
  const id = await t.runtime.sandbox!.sendMessage(CONTACT, PHONE, buildMessage.text('after the restart'));
  const inbound = await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === id);
  expect(inbound.requestId).toBeUndefined();
});
