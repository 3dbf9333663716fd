'use strict';
// Inbound messages at a fixed rate from a simulated contact: bare Baileys (baseline: the socket only) against the
// runtime (socket + translation + journal + durable outbox + signed webhook POST to a local receiver), with the
// durable floor between them (see durableFloor). Reports CPU per message (this process only; the simulator runs in
// its own) over BENCH_ROUNDS rounds that alternate between the sides (this machine's CPU time varies by ±20% from
// minute to minute): each ratio is the median of the rounds' ratios. Then the latency from the event to the webhook
// POST, and the burst throughput across 10 chats (bare: messages handed to the app; floor and runtime: events POSTed
// to the webhook).
const { spawn } = require('node:child_process');
const { startSimulatorProcess, until, percentile, median, report, bareSocket, durableStore, scanUntilLinked } = require('./lib');

const RATE = Number(process.env.BENCH_RATE ?? 100);
const COUNT = Number(process.env.BENCH_MESSAGES ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BURST_CHATS = 10;
const BURST = Number(process.env.BENCH_BURST ?? 2000);
const CONTACT = '15550099999';
const burstContact = (i) => `1555009980${i}`;

/** A bare Baileys socket linked as `phone` that counts the texts it receives. */
async function countingSocket(sim, phone) {
  let received = 0;
  const sock = await bareSocket(sim, phone, ({ messages }) => (received += messages.filter((m) => !m.key.fromMe && m.message?.conversation).length));
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { sock, received: () => received };
}

/**
 * The durable floor: bare Baileys with what any product that keeps this one's promises must add, and nothing else:
 * Signal keys in SQLite (committed before the receipt), the message stored, and one signed webhook POST per message
 * (undici, keep-alive) to a receiver like the runtime's. What the runtime costs above this is its own.
 */
async function durableFloor(sim) {
  const { createHmac } = require('node:crypto');
  const { Agent } = require('undici');
  const { mkdtempSync } = require('node:fs');
  const { join } = require('node:path');
  const store = durableStore(join(mkdtempSync(join(require('node:os').tmpdir(), 'wa-bench-floor-')), 'floor.sqlite'));
  const receiver = await startReceiver();
  const agent = new Agent({ connections: 64 });
  const secret = 'whsec_bench-floor-secret';
  const post = async (message) => {
    const body = JSON.stringify({ id: message.key.id, type: 'message.received', timestamp: new Date().toISOString(), data: { chatId: message.key.remoteJid, messageId: message.key.id, text: message.message.conversation } });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    const answer = await agent.request({ origin: `http://127.0.0.1:${receiver.port}`, path: '/', method: 'POST', body, headers: { 'content-type': 'application/json', 'x-webhook-timestamp': String(timestamp), 'x-webhook-signature': `sha256=${signature}` } });
    await answer.body.dump();
  };
  const sock = await bareSocket(sim, '15550092000', ({ messages }) => {
    for (const message of messages) {
      if (message.key.fromMe || !message.message?.conversation) continue;
      store.insert(message.key.id, message);
      void post(message);
    }
  }, store.keys);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const handled = () => receiver.arrivals.length;
  return {
    phone: '15550092000',
    handled,
    drive: () => drive(sim, '15550092000', handled),
    burst: () => burst(sim, '15550092000', handled),
    stop: async () => {
      sock.end(undefined);
      await agent.close();
      receiver.stop();
      store.close();
    },
  };
}

async function bareBaileys(sim) {
  const { sock, received } = await countingSocket(sim, '15550090000');
  return { drive: () => drive(sim, '15550090000', received), burst: () => burst(sim, '15550090000', received), stop: () => sock.end(undefined) };
}

// The webhook receiver runs in its own process, so only the sending side is measured here. It prints one line per
// event: the milliseconds from the event's production to the POST's arrival.
const RECEIVER = `
const server = require('node:http').createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const event = JSON.parse(body);
    if (event.type === 'message.received') process.stdout.write((Date.now() - Date.parse(event.timestamp)) + '\\n');
    res.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));
`;

async function startReceiver() {
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const arrivals = [];
  let port;
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines) {
      if (line.startsWith('port ')) port = Number(line.slice(5));
      else arrivals.push(Number(line));
    }
  });
  await until(() => port !== undefined);
  return { arrivals, port, stop: () => child.kill() };
}

/** A runtime with one session linked as `phone` and a webhook for message.received to a receiver in its own process. */
async function webhookRuntime(sim, phone) {
  const { createRuntime } = require('..');
  const receiver = await startReceiver();
  const dataDir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'wa-bench-'));
  const rt = createRuntime({ port: 0, logLevel: 'silent', dataDir, adminApiKey: 'bench-admin-key-0123456789abcdef', sandboxUrl: sim.url, sandboxRootKey: sim.rootKey, sandboxMediaCa: sim.mediaCa });
  await rt.start();
  const api = async (method, path, body) => (await fetch(`${rt.url}/api/v1${path}`, { method, headers: { authorization: 'Bearer bench-admin-key-0123456789abcdef', ...(body && { 'content-type': 'application/json' }) }, body: body && JSON.stringify(body) })).json();
  await api('POST', '/sessions', { id: 'bench' });
  await scanUntilLinked(sim, async () => (await fetch(`${rt.url}/api/v1/sessions/bench/qr?format=raw`, { headers: { authorization: 'Bearer bench-admin-key-0123456789abcdef' } })).text(), phone);
  await until(async () => (await api('GET', '/sessions/bench')).status === 'connected');
  await api('POST', '/webhooks', { url: `http://127.0.0.1:${receiver.port}/`, events: ['message.received'] });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { rt, receiver };
}

async function runtime(sim) {
  const { rt, receiver } = await webhookRuntime(sim, '15550091000');
  const { arrivals } = receiver;
  const latencies = [];
  return {
    drive: async () => {
      const run = await drive(sim, '15550091000', () => arrivals.length);
      latencies.push(...arrivals.splice(0));
      return run;
    },
    latency: () => ({ p50: percentile(latencies, 50), p99: percentile(latencies, 99) }),
    burst: () => burst(sim, '15550091000', () => arrivals.length),
    stop: async () => {
      await rt.stop();
      receiver.stop();
    },
  };
}

const PER_CHAT = Math.ceil(BURST / BURST_CHATS);

/** Has the simulator send PER_CHAT messages from each of 10 contacts to `account` at once, as fast as it can. */
function sendBurst(sim, account) {
  return Promise.all(Array.from({ length: BURST_CHATS }, (_, i) => sim.call('POST', `/sandbox/users/${burstContact(i)}/messages/series`, { to: account, count: PER_CHAT, perSecond: 10000, text: 'burst' })));
}

/** A burst (sendBurst): handled per second, until the last. */
async function burst(sim, account, handled) {
  const before = handled();
  const started = Date.now();
  await sendBurst(sim, account);
  await until(() => handled() - before >= PER_CHAT * BURST_CHATS, 120000);
  return Math.round((PER_CHAT * BURST_CHATS) / ((Date.now() - started) / 1000));
}

/** The simulator sends COUNT texts at RATE per second; returns CPU ms per message once all were handled here. */
async function drive(sim, account, handled) {
  const before = handled();
  const cpu = process.cpuUsage();
  await sim.call('POST', `/sandbox/users/${CONTACT}/messages/series`, { to: account, count: COUNT, perSecond: RATE });
  await until(() => handled() - before >= COUNT, 120000);
  const used = process.cpuUsage(cpu);
  return { cpuMsPerMessage: (used.user + used.system) / 1000 / COUNT };
}

async function main() {
  const sim = await startSimulatorProcess();
  try {
    await sim.call('POST', '/sandbox/users', { phone: CONTACT, name: 'Bench' });
    for (let i = 0; i < BURST_CHATS; i++) await sim.call('POST', '/sandbox/users', { phone: burstContact(i), name: `Burst ${i}` });
    const bare = await bareBaileys(sim);
    const floor = await durableFloor(sim);
    const ours = await runtime(sim);
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) rounds.push({ bare: (await bare.drive()).cpuMsPerMessage, floor: (await floor.drive()).cpuMsPerMessage, ours: (await ours.drive()).cpuMsPerMessage });
    const bareThroughput = await bare.burst();
    bare.stop();
    const floorThroughput = await floor.burst();
    await floor.stop();
    const throughput = await ours.burst();
    const latency = ours.latency();
    await ours.stop();
    // each round's ratio pairs the sides measured a few seconds apart: the median of those follows the machine's drift
    // better than a ratio of two medians
    const ratio = (side, to) => median(rounds.map((r) => r[side] / r[to])).toFixed(2);
    const spread = (side) => rounds.map((r) => (r[side] / r.bare).toFixed(2)).join(' ');
    const burstColumn = `burst msg/s, ${BURST_CHATS} chats`;
    report(`inbound messages at ${RATE} msg/s (${COUNT} messages, ${ROUNDS} rounds)`, [
      { what: 'bare Baileys (baseline)', 'CPU ms/msg': median(rounds.map((r) => r.bare)).toFixed(3), ratio: '1.00', 'ratio per round': '-', 'to floor': '-', 'p50 ms': '-', 'p99 ms': '-', [burstColumn]: bareThroughput, 'burst ratio': '1.00' },
      { what: 'durable floor: keys + message in SQLite, signed POST', 'CPU ms/msg': median(rounds.map((r) => r.floor)).toFixed(3), ratio: ratio('floor', 'bare'), 'ratio per round': spread('floor'), 'to floor': '1.00', 'p50 ms': '-', 'p99 ms': '-', [burstColumn]: floorThroughput, 'burst ratio': (floorThroughput / bareThroughput).toFixed(2) },
      { what: 'runtime: journal + outbox + signed webhook', 'CPU ms/msg': median(rounds.map((r) => r.ours)).toFixed(3), ratio: ratio('ours', 'bare'), 'ratio per round': spread('ours'), 'to floor': ratio('ours', 'floor'), 'p50 ms': latency.p50, 'p99 ms': latency.p99, [burstColumn]: throughput, 'burst ratio': (throughput / bareThroughput).toFixed(2) },
    ]);
  } finally {
    sim.stop();
  }
}

module.exports = { main, countingSocket, webhookRuntime, durableFloor, sendBurst, BURST_CHATS, burstContact };
if (require.main === module) main().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
