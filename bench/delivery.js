'use strict';
// Inbound messages at a fixed rate from a simulated contact: bare Baileys (baseline: the socket only) against the
// runtime (socket + translation + durable outbox + signed webhook POST to a local receiver). Reports CPU per
// message (this process only; the simulator runs in its own), the latency from the event to the webhook POST, and
// the burst throughput.
const { spawn } = require('node:child_process');
const { startSimulatorProcess, until, percentile, report, bareSocket, scanUntilLinked } = require('./lib');

const RATE = Number(process.env.BENCH_RATE ?? 100);
const COUNT = Number(process.env.BENCH_MESSAGES ?? 500);

async function bareBaileys(sim) {
  let received = 0;
  const sock = await bareSocket(sim, '15550090000', ({ messages }) => (received += messages.filter((m) => !m.key.fromMe && m.message?.conversation).length));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const run = await drive(sim, '15550090000', () => received);
  sock.end(undefined);
  return run;
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

async function runtime(sim) {
  const { createRuntime } = require('..');
  const receiver = await startReceiver();
  const { arrivals } = receiver;
  const server = { address: () => ({ port: receiver.port }), close: receiver.stop };
  const dataDir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'wa-bench-'));
  const rt = createRuntime({ port: 0, logLevel: 'silent', dataDir, adminApiKey: 'bench-admin-key-0123456789abcdef', sandboxUrl: sim.url, sandboxRootKey: sim.rootKey, sandboxMediaCa: sim.mediaCa });
  await rt.start();
  const api = async (method, path, body) => (await fetch(`${rt.url}/api/v1${path}`, { method, headers: { authorization: 'Bearer bench-admin-key-0123456789abcdef', ...(body && { 'content-type': 'application/json' }) }, body: body && JSON.stringify(body) })).json();
  await api('POST', '/sessions', { id: 'bench' });
  await scanUntilLinked(sim, async () => (await fetch(`${rt.url}/api/v1/sessions/bench/qr?format=raw`, { headers: { authorization: 'Bearer bench-admin-key-0123456789abcdef' } })).text(), '15550091000');
  await until(async () => (await api('GET', '/sessions/bench')).status === 'connected');
  await api('POST', '/webhooks', { url: `http://127.0.0.1:${server.address().port}/`, events: ['message.received'] });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const run = await drive(sim, '15550091000', () => arrivals.length);
  const latency = { p50: percentile(arrivals, 50), p99: percentile(arrivals, 99), max: Math.max(...arrivals) };
  arrivals.length = 0;
  const burstStart = Date.now();
  await sim.call('POST', '/sandbox/users/15550099999/messages/series', { to: '15550091000', count: COUNT, perSecond: 10000, text: 'burst' });
  await until(() => arrivals.length >= COUNT, 120000);
  const throughput = Math.round(COUNT / ((Date.now() - burstStart) / 1000));
  await rt.stop();
  server.close();
  return { ...run, latency, throughput };
}

/** The simulator sends COUNT texts at RATE per second; returns CPU ms per message once all were handled here. */
async function drive(sim, account, handled) {
  const before = handled();
  const cpu = process.cpuUsage();
  await sim.call('POST', '/sandbox/users/15550099999/messages/series', { to: account, count: COUNT, perSecond: RATE });
  await until(() => handled() - before >= COUNT, 120000);
  const used = process.cpuUsage(cpu);
  return { cpuMsPerMessage: (used.user + used.system) / 1000 / COUNT };
}

async function main() {
  const sim = await startSimulatorProcess();
  try {
    await sim.call('POST', '/sandbox/users', { phone: '15550099999', name: 'Bench' });
    const bare = process.env.BENCH_SKIP_BASELINE ? { cpuMsPerMessage: NaN } : await bareBaileys(sim);
    const ours = await runtime(sim);
    report(`inbound messages at ${RATE} msg/s (${COUNT} messages)`, [
      { what: 'bare Baileys (baseline)', 'CPU ms/msg': bare.cpuMsPerMessage.toFixed(3), ratio: '1.00', 'p50 ms': '-', 'p99 ms': '-', 'burst events/s': '-' },
      {
        what: 'runtime: outbox + signed webhook',
        'CPU ms/msg': ours.cpuMsPerMessage.toFixed(3),
        ratio: (ours.cpuMsPerMessage / bare.cpuMsPerMessage).toFixed(2),
        'p50 ms': ours.latency.p50,
        'p99 ms': ours.latency.p99,
        'burst events/s': ours.throughput,
      },
    ]);
  } finally {
    sim.stop();
  }
}

module.exports = { main };
if (require.main === module) main().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
