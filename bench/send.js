'use strict';
// Sending texts one after the other: bare `sock.sendMessage` (baseline) against the runtime's
// `POST /sessions/:id/messages/text` (recipient check, validation, HTTP; wall time per send, as a client in its own
// process sees it) and the durable floor (see durableFloor), in BENCH_SEND_ROUNDS alternating rounds (each ratio the
// median of the rounds' ratios), and the outbound queue with pacing off (queued sends persisted, picked, sent and
// removed; time per send while the queue drains a backlog of BENCH_SENDS that became due at once) against bare sends
// and the floor's drain right after it, in as many rounds.
const { startSimulatorProcess, until, percentile, median, report, bareSocket, durableStore, scanUntilLinked } = require('./lib');

const COUNT = Number(process.env.BENCH_SENDS ?? 300);
const ROUNDS = Number(process.env.BENCH_SEND_ROUNDS ?? 3);
const KEY = 'bench-admin-key-0123456789abcdef';

/**
 * Times `count` sends after 20 to warm up. Each send is timed from its start to the next one's, one event-loop turn
 * later: a send can complete within the turn it started in, and a loop of them would never read what WhatsApp answers
 * (acks, receipts) until it ends, leaving that work out of the time (the runtime's queue yields the same way).
 */
async function timed(count, send) {
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 20; i++) {
    await send(i);
    await turn();
  }
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await send(i);
    await turn();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return summary(times);
}

function summary(times) {
  return { times, mean: times.reduce((a, b) => a + b, 0) / times.length, p50: percentile(times, 50), p99: percentile(times, 99) };
}

// A light keep-alive client, as n8n's own HTTP client would be, in another process (its CPU is not the runtime's):
// the same warm-up and timing as `timed`, printed as one JSON line.
const CLIENT = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true });
const [url, key, count] = process.argv.slice(1);
const post = (body) => new Promise((resolve, reject) => {
  const req = http.request(url, { method: 'POST', agent, headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error('send failed: ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end(body);
});
(async () => {
  const send = (i) => post(JSON.stringify({ to: '+1 555 009 8888', text: 'rest ' + i }));
  for (let i = 0; i < 20; i++) await send(i);
  const times = [];
  for (let i = 0; i < Number(count); i++) {
    const started = process.hrtime.bigint();
    await send(i);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  process.stdout.write(JSON.stringify(times));
})().catch((error) => { console.error(error); process.exit(1); });
`;

async function restClient(url, key, count) {
  const child = require('node:child_process').spawn(process.execPath, ['-e', CLIENT, url, key, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the REST client failed (exit ${code})`);
  return summary(JSON.parse(output));
}

/**
 * The durable floor of a REST send: bare Baileys with its Signal keys in SQLite behind a plain node:http server that
 * checks the bearer key's hash, parses the JSON body, sends, stores the sent message and answers its id: what any
 * HTTP API over Baileys that keeps its keys must do per send. What the runtime costs above this is its own.
 */
async function durableFloor(sim) {
  const { createHash } = require('node:crypto');
  const { mkdtempSync } = require('node:fs');
  const { join } = require('node:path');
  const store = durableStore(join(mkdtempSync(join(require('node:os').tmpdir(), 'wa-bench-floor-')), 'floor.sqlite'));
  const sock = await bareSocket(sim, '15550098002', undefined, store.keys);
  const keyHash = createHash('sha256').update(KEY).digest('hex');
  const server = require('node:http').createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (createHash('sha256').update(token).digest('hex') !== keyHash) return res.writeHead(401).end();
      const { to, text } = JSON.parse(body);
      const sent = await sock.sendMessage(`${to.replace(/\D/g, '')}@s.whatsapp.net`, { text });
      store.insert(sent.key.id, sent);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: sent.key.id, status: 'sent' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  let drained = 0;
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    /**
     * The floor of a queued send's drain, `count` sends: each queued item a row written beforehand (not timed), then
     * per send: send, store the sent message, delete the item. Answers the timing summary.
     */
    drain: async (count) => {
      // timed() sends 20 to warm up first
      for (let i = drained; i < drained + count + 20; i++) store.insert(`queued-${i}`, { to: '15550098888', text: `queued ${i}` });
      return timed(count, async () => {
        const item = drained++;
        const sent = await sock.sendMessage('15550098888@s.whatsapp.net', { text: `queued ${item}` });
        store.insert(sent.key.id, sent);
        store.remove(`queued-${item}`);
      });
    },
    stop: () => {
      server.close();
      sock.end(undefined);
      store.close();
    },
  };
}

/** A runtime with one session 'send' linked as 15550098001; `sendUrl` is its text-send route. */
async function sendingRuntime(sim) {
  const { createRuntime } = require('..');
  const dataDir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'wa-bench-'));
  const rt = createRuntime({ port: 0, logLevel: 'silent', dataDir, adminApiKey: KEY, sandboxUrl: sim.url, sandboxRootKey: sim.rootKey, sandboxMediaCa: sim.mediaCa });
  await rt.start();
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  await fetch(`${rt.url}/api/v1/sessions`, { method: 'POST', headers, body: JSON.stringify({ id: 'send' }) });
  await scanUntilLinked(sim, async () => (await fetch(`${rt.url}/api/v1/sessions/send/qr?format=raw`, { headers })).text(), '15550098001');
  await until(async () => (await (await fetch(`${rt.url}/api/v1/sessions/send`, { headers })).json()).status === 'connected');
  return { rt, headers, sendUrl: `${rt.url}/api/v1/sessions/send/messages/text` };
}

/** Bulk sends of the 'send' session go as fast as they can: no gap, no caps. */
async function pacingOff(rt, headers) {
  const noPacing = { minGapMs: 0, maxGapMs: 0, perMinute: null, perHour: null, perDay: null, firstContactsPerDay: null };
  await fetch(`${rt.url}/api/v1/sessions/send/outbound/settings`, { method: 'PATCH', headers, body: JSON.stringify(noPacing) });
}

/**
 * Queues `count` sends that all become due together at `dueAt`; answers it and `drained()`, which waits for the
 * queue's drain and answers the milliseconds per send.
 */
async function queueBacklog(rt, headers, count) {
  // time to queue them all first: about 5 ms a request here, so 20 ms each is ample
  const dueAt = Date.now() + Math.max(2000, 20 * count);
  const queued = new Set();
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${rt.url}/api/v1/sessions/send/messages/text`, { method: 'POST', headers, body: JSON.stringify({ to: '+1 555 009 8888', text: `queued ${i}`, lane: 'bulk', sendAt: new Date(dueAt).toISOString() }) });
    queued.add((await response.json()).id);
  }
  if (Date.now() >= dueAt) throw new Error('queueing took longer than its head start: raise it');
  let lastSentAt = 0;
  const unsubscribe = rt.bus.subscribe((event) => {
    if (event.type === 'message.sent' && queued.delete(event.data.messageId)) lastSentAt = Date.now();
  });
  return {
    dueAt,
    drained: async () => {
      await until(() => queued.size === 0, 60_000);
      unsubscribe();
      return (lastSentAt - dueAt) / count;
    },
  };
}

/** Queues `count` sends that all become due together, then answers the milliseconds per send of the queue's drain. */
async function drainQueued(rt, headers, count) {
  return (await queueBacklog(rt, headers, count)).drained();
}

async function main() {
  const sim = await startSimulatorProcess();
  try {
    await sim.call('POST', '/sandbox/users', { phone: '15550098888', name: 'Target' });
    const sock = await bareSocket(sim, '15550098000');
    const floorServer = await durableFloor(sim);
    const { rt, headers, sendUrl } = await sendingRuntime(sim);
    const bareSend = (i) => sock.sendMessage('15550098888@s.whatsapp.net', { text: `bare ${i}` });
    // the three sides take turns, COUNT / ROUNDS sends each per round (this machine's speed drifts from minute to minute)
    const rounds = [];
    const perRound = Math.ceil(COUNT / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push({
        bare: await timed(perRound, bareSend),
        floor: await restClient(floorServer.url, KEY, perRound),
        ours: await restClient(sendUrl, KEY, perRound),
      });
    }
    const merged = (side) => summary(rounds.flatMap((r) => r[side].times));
    const [bare, floor, ours] = [merged('bare'), merged('floor'), merged('ours')];
    const ratio = (side, to) => median(rounds.map((r) => r[side].mean / r[to].mean)).toFixed(2);

    await pacingOff(rt, headers);
    // each round: a backlog of COUNT queued sends drained, then as many bare sends and the floor's drain
    const queuedRounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const perSend = await drainQueued(rt, headers, COUNT);
      const bareMean = (await timed(COUNT, bareSend)).mean;
      const floorSend = (await floorServer.drain(COUNT)).mean;
      queuedRounds.push({ perSend, floorSend, ratio: perSend / bareMean, floorRatio: floorSend / bareMean, toFloor: perSend / floorSend });
    }
    sock.end(undefined);
    floorServer.stop();
    await rt.stop();
    const queuedPerSend = median(queuedRounds.map((r) => r.perSend));
    report(`sending a text (${COUNT} sequential sends in ${ROUNDS} rounds)`, [
      { what: 'bare sock.sendMessage (baseline)', 'mean ms': bare.mean.toFixed(2), 'p50 ms': bare.p50.toFixed(2), 'p99 ms': bare.p99.toFixed(2), ratio: '1.00', 'to floor': '-' },
      { what: 'durable floor: node:http + keys in SQLite', 'mean ms': floor.mean.toFixed(2), 'p50 ms': floor.p50.toFixed(2), 'p99 ms': floor.p99.toFixed(2), ratio: ratio('floor', 'bare'), 'to floor': '1.00' },
      { what: 'runtime POST /messages/text', 'mean ms': ours.mean.toFixed(2), 'p50 ms': ours.p50.toFixed(2), 'p99 ms': ours.p99.toFixed(2), ratio: ratio('ours', 'bare'), 'to floor': ratio('ours', 'floor') },
      { what: 'durable floor of a queued send: keys in SQLite, message stored, item deleted', 'mean ms': median(queuedRounds.map((r) => r.floorSend)).toFixed(2), 'p50 ms': '-', 'p99 ms': '-', ratio: median(queuedRounds.map((r) => r.floorRatio)).toFixed(2), 'to floor': '1.00' },
      { what: 'outbound queue, pacing off (per send)', 'mean ms': queuedPerSend.toFixed(2), 'p50 ms': '-', 'p99 ms': '-', ratio: median(queuedRounds.map((r) => r.ratio)).toFixed(2), 'to floor': median(queuedRounds.map((r) => r.toFloor)).toFixed(2) },
    ]);
  } finally {
    sim.stop();
  }
}

module.exports = { main, durableFloor, restClient, sendingRuntime, pacingOff, queueBacklog, drainQueued, KEY };
if (require.main === module) main().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
