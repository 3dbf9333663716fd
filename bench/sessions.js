'use strict';
// Idle sessions and restore: N sessions linked, then memory per idle session (RSS and heap, after GC) and the time
// to restore all N from storage: bare Baileys sockets on in-memory auth (baseline) against runtime sessions on the
// embedded SQLite store. Run with --expose-gc for stable heap numbers (npm run bench does).
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { startSimulatorProcess, until, report, bareSocket, scanUntilLinked } = require('./lib');

const N = Number(process.env.BENCH_SESSIONS ?? 50);
const KEY = 'bench-admin-key-0123456789abcdef';

function memory() {
  global.gc?.();
  global.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

async function main() {
  const sim = await startSimulatorProcess();
  try {
    // warm up (module loading, JIT) before measuring
    const warm = await bareSocket(sim, '15550069999');
    const before = memory();
    const socks = [];
    for (let i = 0; i < N; i++) socks.push(await bareSocket(sim, `1555007${String(i).padStart(4, '0')}`));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const bareIdle = memory();
    const bareRestoreStart = Date.now();
    // the baseline's restore: every socket logs in again on the credentials it holds
    const reopened = await Promise.all(socks.map((s) => s.reopen()));
    const bareRestoreMs = Date.now() - bareRestoreStart;
    for (const s of [...reopened, warm]) s.end(undefined);
    socks.length = 0;

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
    await link('warm', '15550089999');
    await until(() => rt.sessions.list().every((s) => s.status === 'connected'), 60000);
    const beforeOurs = memory();
    for (let i = 0; i < N; i++) {
      await link(`s${i}`, `1555008${String(i).padStart(4, '0')}`);
    }
    await until(() => rt.sessions.list().every((s) => s.status === 'connected'), 120000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const oursIdle = memory();
    await rt.stop();
    rt = createRuntime(config);
    const restoreStart = Date.now();
    await rt.start();
    await until(() => rt.sessions.list().length === N + 1 && rt.sessions.list().every((s) => s.status === 'connected'), 120000);
    const oursRestoreMs = Date.now() - restoreStart;
    await rt.stop();

    const mb = (bytes) => (bytes / 1024 / 1024).toFixed(2);
    report(`${N} idle sessions and their restore`, [
      { what: 'bare Baileys (baseline)', 'RSS MB/session': mb((bareIdle.rss - before.rss) / N), 'heap MB/session': mb((bareIdle.heapUsed - before.heapUsed) / N), 'restore all ms': bareRestoreMs, 'restore ratio': '1.00' },
      { what: 'runtime sessions (SQLite)', 'RSS MB/session': mb((oursIdle.rss - beforeOurs.rss) / N), 'heap MB/session': mb((oursIdle.heapUsed - beforeOurs.heapUsed) / N), 'restore all ms': oursRestoreMs, 'restore ratio': (oursRestoreMs / bareRestoreMs).toFixed(2) },
    ]);
  } finally {
    sim.stop();
  }
}

module.exports = { main };
if (require.main === module) main().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
