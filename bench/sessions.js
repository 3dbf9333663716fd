'use strict';
// Idle sessions and restore, at each N of BENCH_SESSIONS (default 50 and 500): memory per idle session (RSS and
// heap after GC), the CPU an idle session costs per hour (keep-alives, timers; measured over BENCH_IDLE_S seconds)
// and the time to restore all N: bare Baileys sockets on in-memory auth (baseline) against runtime sessions on the
// embedded SQLite store. Each side at each N runs in a fresh process (memory a side freed stays in a process's
// RSS and would hide the next side's), all against one simulator process.
const { execFile } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { startSimulatorProcess, controlCall, until, report, bareSocket, scanUntilLinked } = require('./lib');

const COUNTS = (process.env.BENCH_SESSIONS ?? '50,500').split(',').map((n) => Number.parseInt(n, 10));
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 30);
const KEY = 'bench-admin-key-0123456789abcdef';

function memory() {
  global.gc?.();
  global.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** CPU milliseconds this process spends while idle for IDLE_S seconds. */
async function idleCpuMs() {
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function bare(sim, n, prefix) {
  // warm up (module loading, JIT) before measuring
  const warm = await bareSocket(sim, `${prefix}9999`);
  const before = memory();
  const socks = [];
  for (let i = 0; i < n; i++) socks.push(await bareSocket(sim, `${prefix}${String(i).padStart(4, '0')}`));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idle = memory();
  const cpuMs = await idleCpuMs();
  const started = Date.now();
  // the baseline's restore: every socket logs in again on the credentials it holds
  const reopened = await Promise.all(socks.map((s) => s.reopen()));
  const restoreMs = Date.now() - started;
  for (const s of [...reopened, warm]) s.end(undefined);
  return { rss: idle.rss - before.rss, heap: idle.heapUsed - before.heapUsed, cpuMs, restoreMs };
}

async function ours(sim, n, prefix) {
  const { createRuntime } = require('..');
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-bench-sessions-'));
  const config = { port: 0, logLevel: 'silent', dataDir, adminApiKey: KEY, sandboxUrl: sim.url, sandboxRootKey: sim.rootKey, sandboxMediaCa: sim.mediaCa, restoreStaggerMs: 0 };
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  let rt = createRuntime(config);
  await rt.start();
  const link = async (id, phone) => {
    await fetch(`${rt.url}/api/v1/sessions`, { method: 'POST', headers, body: JSON.stringify({ id }) });
    await scanUntilLinked(sim, async () => (await fetch(`${rt.url}/api/v1/sessions/${id}/qr?format=raw`, { headers })).text(), phone);
  };
  const connected = () => rt.sessions.list().every((s) => s.status === 'connected');
  await link('warm', `${prefix}9999`);
  await until(connected, 60000);
  const before = memory();
  for (let i = 0; i < n; i++) await link(`s${i}`, `${prefix}${String(i).padStart(4, '0')}`);
  await until(connected, 600000);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idle = memory();
  const cpuMs = await idleCpuMs();
  await rt.stop();
  rt = createRuntime(config);
  const started = Date.now();
  await rt.start();
  await until(() => rt.sessions.list().length === n + 1 && connected(), 600000);
  const restoreMs = Date.now() - started;
  await rt.stop();
  return { rss: idle.rss - before.rss, heap: idle.heapUsed - before.heapUsed, cpuMs, restoreMs };
}

/** Runs one side at one N in a fresh process (this file with arguments) and returns what it measured. */
function measure(sim, side, n, prefix) {
  const env = { ...process.env, BENCH_SIM: JSON.stringify({ url: sim.url, rootKey: sim.rootKey, mediaCa: sim.mediaCa, control: sim.control }) };
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--expose-gc', __filename, side, String(n), prefix], { env, maxBuffer: 1 << 20 }, (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout.trim().split('\n').pop()))));
    child.stderr.pipe(process.stderr);
  });
}

async function main() {
  const sim = await startSimulatorProcess();
  try {
    const rows = [];
    for (const [index, n] of COUNTS.entries()) {
      // every run links fresh numbers: the simulator keeps the accounts of earlier runs
      const b = await measure(sim, 'bare', n, `155507${index}`);
      const o = await measure(sim, 'ours', n, `155508${index}`);
      const mb = (bytes) => (bytes / 1024 / 1024 / n).toFixed(2);
      const perHour = (ms) => ((ms / n) * (3600 / IDLE_S)).toFixed(0);
      rows.push(
        { sessions: n, what: 'bare Baileys (baseline)', 'RSS MB/session': mb(b.rss), 'heap MB/session': mb(b.heap), 'RSS ratio': '1.00', 'idle CPU ms/session/hour': perHour(b.cpuMs), 'restore all ms': b.restoreMs, 'restore ratio': '1.00' },
        { sessions: n, what: 'runtime sessions (SQLite)', 'RSS MB/session': mb(o.rss), 'heap MB/session': mb(o.heap), 'RSS ratio': (o.rss / b.rss).toFixed(2), 'idle CPU ms/session/hour': perHour(o.cpuMs), 'restore all ms': o.restoreMs, 'restore ratio': (o.restoreMs / b.restoreMs).toFixed(2) },
      );
    }
    report(`idle sessions and their restore (${COUNTS.join(' and ')} sessions)`, rows);
  } finally {
    sim.stop();
  }
}

module.exports = { main };
if (require.main === module) {
  const [side, n, prefix] = process.argv.slice(2);
  if (side) {
    // a child of main(): one side at one N, on the simulator main() started
    const sim = JSON.parse(process.env.BENCH_SIM);
    sim.call = controlCall(sim.control);
    const { guardConsole } = require('../dist/src/runtime/whatsapp/console-guard');
    guardConsole(require('pino')({ level: 'silent' }));
    (side === 'bare' ? bare : ours)(sim, Number(n), prefix).then(
      (result) => {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        process.exit(0);
      },
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  } else {
    main().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
  }
}
