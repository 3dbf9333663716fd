/**
 * Fuzz pass over every route in the OpenAPI document, against a runtime with a linked session: wrong types, hostile
 * sizes and spellings in bodies, queries, path segments and headers, and bodies that are not JSON. Nothing may
 * answer 5xx, hang or crash, and the session must still be connected afterwards. The counts are printed for CI.
 */
import { ADMIN_KEY, linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import { Receiver } from '../helpers/receiver';
import { example, HOSTILE_QUERY_VALUES, HOSTILE_SEGMENTS, rawBodies, seeded, spoiledBodies, describe as label, type JsonSchema } from './generate';

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  schema?: JsonSchema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  bodySchema?: JsonSchema;
  takesBody: boolean;
}
interface Probe {
  operation: Operation;
  url: string;
  label: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const SESSION = 'fz';
const CONTACT = '15550009999';
const DESTRUCTIVE = /\/(logout|stop|restart|leave|revoke)$/;

let t: TestRuntime;
let hook: Receiver;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  t = await startRuntime();
  t.runtime.sandbox!.createUser({ phone: CONTACT, name: 'Fuzz Contact' });
  await linkSession(t, SESSION, '15550001000');
  hook = await Receiver.start();
}, 60_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await hook?.close();
  await t?.close();
});

test('no route answers 5xx, hangs or crashes on hostile input', async () => {
  const webhook = await t.api('POST', '/api/v1/webhooks', { url: hook.url, events: ['message.received'] });
  expect(webhook.status).toBe(201);
  const document = (await t.api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> };
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, spec]) => ({
      method: method.toUpperCase(),
      path,
      parameters: spec.parameters ?? [],
      bodySchema: spec.requestBody?.content['application/json']?.schema,
      takesBody: ['POST', 'PATCH', 'PUT'].includes(method.toUpperCase()),
    })),
  );
  expect(operations.length).toBeGreaterThan(90);

  const known: Record<string, string> = { id: SESSION, phone: CONTACT, contact: CONTACT, chatId: CONTACT, groupId: '120363000000000000@g.us', messageId: 'FUZZMESSAGEID', campaignId: 'missing', callId: 'missing', waitId: 'missing', eventId: 'missing' };
  const probes: Probe[] = [];
  const pick = seeded(20261202);
  for (const operation of operations) {
    const destructive = operation.method === 'DELETE' || DESTRUCTIVE.test(operation.path);
    const values = (name: string): string => (destructive ? 'fuzz-missing' : name === 'id' && operation.path.startsWith('/api/v1/webhooks') ? webhook.body.id : known[name] ?? 'missing');
    const urlOf = (segments: Record<string, string> = {}, query = ''): string => operation.path.replace(/\{(\w+)\}/g, (_m, name: string) => segments[name] ?? encodeURIComponent(values(name))) + query;
    const base = operation.bodySchema ? example(operation.bodySchema) : undefined;
    const json = (body: unknown): Partial<Probe> => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    probes.push({ operation, url: urlOf(), label: 'plausible', ...(operation.takesBody && json(base ?? {})) });
    for (const parameter of operation.parameters) {
      if (parameter.in === 'path') for (const segment of HOSTILE_SEGMENTS) probes.push({ operation, url: urlOf({ [parameter.name]: segment }), label: `path ${parameter.name}=${label(segment)}`, ...(operation.takesBody && json(base ?? {})) });
      if (parameter.in === 'query') {
        for (const value of HOSTILE_QUERY_VALUES) probes.push({ operation, url: urlOf({}, `?${parameter.name}=${encodeURIComponent(value)}`), label: `query ${parameter.name}=${label(value)}` });
        probes.push({ operation, url: urlOf({}, `?${parameter.name}=1&${parameter.name}=2`), label: `query ${parameter.name} twice` });
      }
      if (parameter.in === 'header') for (const value of ['x'.repeat(8000), '\u00e9\u00e8', ' ']) probes.push({ operation, url: urlOf(), label: `header ${parameter.name}=${label(value)}`, headers: { [parameter.name]: value }, ...(operation.takesBody && { body: JSON.stringify(base ?? {}) }) });
    }
    if (!operation.takesBody) continue;
    if (operation.bodySchema) for (const spoiled of spoiledBodies(operation.bodySchema, base, pick)) probes.push({ operation, url: urlOf(), label: `body ${spoiled.label}`, ...json(spoiled.body) });
    for (const raw of rawBodies()) probes.push({ operation, url: urlOf(), label: `body ${raw.label}`, headers: raw.contentType ? { 'content-type': raw.contentType } : {}, body: raw.payload });
  }

  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < probes.length) {
      const probe = probes[next++];
      const name = `${probe.operation.method} ${probe.url.slice(0, 120)} [${probe.label}]`;
      try {
        const response = await fetch(`${t.runtime.url}${probe.url}`, {
          method: probe.operation.method,
          headers: { authorization: `Bearer ${ADMIN_KEY}`, ...probe.headers },
          body: probe.body,
          signal: AbortSignal.timeout(15_000),
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const text = response.headers.get('content-type')?.includes('event-stream') ? (await response.body?.cancel(), '') : await response.text();
        if (response.status >= 500) failures.push(`${name} → ${response.status} ${text.slice(0, 200)}`);
      } catch (error) {
        failures.push(`${name} → ${(error as Error).name}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));

  const byClass = [2, 3, 4, 5].map((c) => `${c}xx ${[...statuses].filter(([s]) => Math.floor(s / 100) === c).reduce((sum, [, n]) => sum + n, 0)}`);
  process.stdout.write(`OpenAPI fuzz: ${probes.length} requests over ${operations.length} operations: ${byClass.join(', ')}, failures ${failures.length}\n`);
  expect(failures).toEqual([]);
  expect(unhandled).toEqual([]);
  expect((await fetch(`${t.runtime.url}/health`)).status).toBe(200);
  expect((await t.api('GET', `/api/v1/sessions/${SESSION}`)).body.status).toBe('connected');
}, 300_000);
