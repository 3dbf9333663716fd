'use strict';
// Shared helpers for the benchmarks: a simulator in its own process (so its CPU is not counted), percentiles, and a
// results table printed and written under bench/results/.
const { spawn } = require('node:child_process');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

async function startSimulatorProcess() {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'whatsapp-runtime.js'), 'sandbox'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  await until(() => /Control API/.test(output), 15000);
  const url = /WA_SANDBOX_URL=(\S+)/.exec(output)[1];
  const rootKey = /WA_SANDBOX_ROOT_KEY=(\S+)/.exec(output)[1];
  const caPath = /cat ([^)]+)\)/.exec(output)[1];
  const control = /(http:\/\/127\.0\.0\.1:\d+)\/api\/v1\/sandbox/.exec(output)[1];
  return { child, url, rootKey, mediaCa: readFileSync(caPath, 'utf8'), control, call: controlCall(control), stop: () => child.kill('SIGTERM') };
}

/** Calls the simulator's control API at `control`; resolves with the JSON answer, throws on an error status. */
function controlCall(control) {
  return async (method, path, body) => {
    const response = await fetch(`${control}/api/v1${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
}

/** Polls `check` every 50 ms (coarse on purpose: the poll's own CPU is counted in the measurements). */
async function until(check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('benchmark: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function report(name, rows) {
  const widths = Object.keys(rows[0]).map((key) => Math.max(key.length, ...rows.map((r) => String(r[key]).length)));
  const line = (values) => values.map((v, i) => String(v).padEnd(widths[i])).join('  ');
  const text = [line(Object.keys(rows[0])), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(Object.values(r)))].join('\n');
  process.stdout.write(`\n${name}\n${text}\n`);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name.replace(/\W+/g, '-').toLowerCase()}.json`), JSON.stringify({ name, at: new Date().toISOString(), node: process.version, rows }, null, 2));
}

/**
 * Scans the QR `readQr` returns as the simulated phone of `phone` until it links: the simulator, like WhatsApp,
 * retires the first QR's secret (companion_reg_refresh) and the client shows the same ref with a new one.
 */
async function scanUntilLinked(sim, readQr, phone) {
  let qr = await readQr();
  for (let attempt = 0; attempt < 3; attempt++) {
    const { result } = await sim.call('POST', '/sandbox/qr/scan', { qr, phone });
    if (result === 'linked') return;
    const shown = qr;
    await until(async () => (qr = await readQr()) !== shown, 15000);
  }
  throw new Error('benchmark: the QR code never linked');
}

/** Baileys' Signal key store in memory: what bare Baileys needs and no more. */
function memoryKeys() {
  const data = new Map();
  return {
    get: async (type, ids) => Object.fromEntries(ids.map((id) => [id, data.get(`${type}:${id}`)]).filter(([, v]) => v !== undefined)),
    set: async (batch) => {
      for (const [type, entries] of Object.entries(batch)) for (const [id, value] of Object.entries(entries)) value == null ? data.delete(`${type}:${id}`) : data.set(`${type}:${id}`, value);
    },
  };
}

/**
 * The least a durable product needs of SQLite, for the benchmarks' "durable floor": Signal keys written in one
 * synchronous transaction per Baileys batch (before the receipt or the send that depends on them), `insert` for
 * one row per message and `remove` to delete one. WAL, synchronous NORMAL, prepared statements: the same settings as the runtime's store.
 */
function durableStore(path) {
  const { DatabaseSync } = require('node:sqlite');
  const { BufferJSON, proto } = require('@whiskeysockets/baileys');
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL); CREATE TABLE messages (id TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const get = db.prepare('SELECT value FROM kv WHERE key = ?');
  const set = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const del = db.prepare('DELETE FROM kv WHERE key = ?');
  const message = db.prepare('INSERT OR REPLACE INTO messages (id, value) VALUES (?, ?)');
  const unmessage = db.prepare('DELETE FROM messages WHERE id = ?');
  const [begin, commit] = [db.prepare('BEGIN'), db.prepare('COMMIT')];
  const keys = {
    get: async (type, ids) => {
      const out = {};
      for (const id of ids) {
        const row = get.get(`${type}:${id}`);
        if (!row) continue;
        const value = JSON.parse(row.value, BufferJSON.reviver);
        out[id] = type === 'app-state-sync-key' ? proto.Message.AppStateSyncKeyData.fromObject(value) : value;
      }
      return out;
    },
    set: async (batch) => {
      begin.run();
      for (const [type, entries] of Object.entries(batch)) {
        for (const [id, value] of Object.entries(entries)) value == null ? del.run(`${type}:${id}`) : set.run(`${type}:${id}`, JSON.stringify(value, BufferJSON.replacer));
      }
      commit.run();
    },
  };
  return { keys, insert: (id, value) => message.run(id, JSON.stringify(value, BufferJSON.replacer)), remove: (id) => unmessage.run(id), close: () => db.close() };
}

/**
 * A bare Baileys socket (no runtime) linked by QR to `phone` on the simulator process; resolves once open.
 * `onUpsert` sees every upsert; `keys` is the Signal key store (default: in memory).
 */
async function bareSocket(sim, phone, onUpsert = () => undefined, keys = memoryKeys()) {
  const pino = require('pino');
  const https = require('node:https');
  const b = require('@whiskeysockets/baileys');
  b.WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(sim.rootKey, 'base64');
  const creds = b.initAuthCreds();
  // the one protocol fix bare rc14 needs to link at all against today's WhatsApp (and the simulator)
  const { handleRegistrationRefresh } = require('../dist/src/runtime/whatsapp/pairing');
  let shownQr;
  const connect = () => {
    const sock = b.makeWASocket({
      auth: { creds, keys: b.makeCacheableSignalKeyStore(keys, pino({ level: 'silent' })) },
      logger: pino({ level: 'silent' }),
      waWebSocketUrl: sim.url,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      fetchAgent: new https.Agent({ ca: sim.mediaCa }),
    });
    sock.ev.on('creds.update', (update) => Object.assign(creds, update));
    sock.ev.on('messages.upsert', onUpsert);
    sock.ev.on('connection.update', (u) => (shownQr = u.qr ?? shownQr));
    handleRegistrationRefresh(sock, { currentQr: () => shownQr, pairingByCode: () => false, logger: pino({ level: 'silent' }) });
    return sock;
  };
  let sock = connect();
  await until(() => !!shownQr, 15000);
  await scanUntilLinked(sim, () => shownQr, phone);
  await new Promise((resolve) => sock.ev.on('connection.update', (u) => u.connection === 'close' && resolve()));
  // a login that closes before it opens (500 at once load the simulator) is tried again, as any application must:
  // without it, a restore of 500 bare sockets waited forever for the few that closed
  const open = async () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const next = connect();
      const opened = await new Promise((resolve) => next.ev.on('connection.update', (u) => (u.connection === 'open' ? resolve(true) : u.connection === 'close' && resolve(false))));
      if (opened) return next;
    }
    throw new Error(`benchmark: ${phone} did not log in after 10 attempts`);
  };
  sock = await open();
  /** Ends this socket and logs in again on the stored credentials; resolves when open. */
  sock.reopen = async () => {
    await new Promise((resolve) => {
      sock.ev.on('connection.update', (u) => u.connection === 'close' && resolve());
      sock.end(undefined);
    });
    sock = await open();
    return sock;
  };
  return sock;
}

module.exports = { ROOT, startSimulatorProcess, controlCall, until, percentile, median, report, bareSocket, durableStore, scanUntilLinked };
