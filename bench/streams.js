'use strict';
// 200 event streams resumed from the oldest retained event at once (20 API keys × 10 streams, the per-key cap), the
// attack issue #15 measured at 1.3 GB RSS and 5 s health checks: RSS growth and /health latency while they replay.
const { fork } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { startSimulatorProcess, until, percentile, report, scanUntilLinked } = require('./lib');

const EVENTS = 2000;
const KEYS = 20;
const PER_KEY = 10;
const ADMIN = 'bench-admin-key-0123456789abcdef';

async function main() {
  const sim = await startSimulatorProcess();
  const { createRuntime } = require('..');
  const rt = createRuntime({ port: 0, logLevel: 'silent', dataDir: mkdtempSync(join(tmpdir(), 'wa-bench-streams-')), adminApiKey: ADMIN, sandboxUrl: sim.url, sandboxRootKey: sim.rootKey, sandboxMediaCa: sim.mediaCa });
  try {
    await rt.start();
    const api = async (method, path, body, key = ADMIN) => (await fetch(`${rt.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body && { 'content-type': 'application/json' }) }, body: body && JSON.stringify(body) })).json();
    await sim.call('POST', '/sandbox/users', { phone: '15550098888', name: 'Streams' });
    await api('POST', '/sessions', { id: 'streams' });
    await scanUntilLinked(sim, async () => (await fetch(`${rt.url}/api/v1/sessions/streams/qr?format=raw`, { headers: { authorization: `Bearer ${ADMIN}` } })).text(), '15550098000');
    await until(async () => (await api('GET', '/sessions/streams')).status === 'connected');
    await sim.call('POST', '/sandbox/users/15550098888/messages/series', { to: '15550098000', count: EVENTS, perSecond: 2000, text: 'retained event with a little text in it, as a real message would have' });
    let oldest;
    await until(async () => {
      let count = 0;
      for await (const { event } of rt.delivery.outbox.eventsAfter(0)) {
        if (event.type !== 'message.received') continue;
        oldest ??= event.id;
        count++;
      }
      return count >= EVENTS;
    }, 120000);
    const keys = [];
    for (let i = 0; i < KEYS; i++) keys.push((await api('POST', '/keys', { name: `reader ${i}`, permissions: ['read'], sessions: '*' })).key);

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const health = [];
    let replaying = true;
    const probe = (async () => {
      while (replaying) {
        const started = performance.now();
        await fetch(`${rt.url}/health`);
        health.push(performance.now() - started);
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const started = Date.now();
    const readers = fork(join(__dirname, 'stream-readers.js'), [JSON.stringify({ url: rt.url, keys, perKey: PER_KEY, oldest, expected: EVENTS - 1 })]);
    const messages = [];
    readers.on('message', (message) => messages.push(message));
    await until(() => messages.some((m) => m.opened), 60000);
    // every key holds its 10 streams now: one more is refused
    const refused = await Promise.all(keys.slice(0, 5).map((key) => fetch(`${rt.url}/api/v1/events`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status)));
    await until(() => messages.some((m) => m.seen), 300000);
    const { seen, bytes } = messages.find((m) => m.seen);
    const seconds = (Date.now() - started) / 1000;
    replaying = false;
    await probe;
    await new Promise((resolve) => setTimeout(resolve, 500));
    global.gc?.();
    const rssAfter = process.memoryUsage().rss;
    const mb = (n) => (n / 1024 / 1024).toFixed(1);
    report(`${KEYS * PER_KEY} event streams resumed from the oldest of ${EVENTS} retained events`, [
      {
        streams: seen.length,
        'events each (min)': Math.min(...seen),
        'MB sent': mb(bytes),
        seconds: seconds.toFixed(1),
        'RSS before MB': mb(rssBefore),
        'RSS peak MB': mb(rssPeak),
        'growth at peak MB': mb(rssPeak - rssBefore),
        'growth after MB': mb(rssAfter - rssBefore),
        'health p50 ms': percentile(health, 50).toFixed(1),
        'health p99 ms': percentile(health, 99).toFixed(1),
        'health max ms': Math.max(...health).toFixed(1),
        '11th stream per key': refused.join(','),
      },
    ]);
  } finally {
    await rt.stop();
    sim.stop();
  }
}

module.exports = { main };
