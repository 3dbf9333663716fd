'use strict';
// Contact import: 100,000 CSV rows (5% invalid numbers) into a list of a runtime in sandbox mode, without the
// WhatsApp check. Reports the wall time from start to the import's `completed` event and how much the runtime's RSS
// grew while importing (sampled every 100 ms). Targets (issue #20): under 60 s, under 100 MB.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createRuntime } = require('../dist/src/runtime');
const { report } = require('./lib');

const ROWS = 100_000;
const KEY = 'bench-admin-key-0123456789abcdef';

function csv() {
  const lines = ['phone;name;city;visits;tags'];
  for (let i = 0; i < ROWS; i++) {
    // every 20th row is no valid number
    const phone = i % 20 === 19 ? `12${i}` : `+1 202 ${String(200 + Math.floor(i / 10000)).padStart(3, '0')} ${String(i % 10000).padStart(4, '0')}`;
    lines.push(`${phone};Customer ${i};"City; ${i % 50}";${i % 7};"t${i % 3},all"`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-bench-import-'));
  const runtime = createRuntime({ port: 0, logLevel: 'silent', adminApiKey: KEY, dataDir, sandbox: true, importMaxBytes: 64 * 1024 * 1024, quiet: true });
  await runtime.start();
  const api = async (method, path, body) => {
    const response = await fetch(`${runtime.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${KEY}`, ...(body && !(body instanceof FormData) && { 'content-type': 'application/json' }) }, body: body instanceof FormData ? body : body && JSON.stringify(body) });
    return response.json();
  };
  try {
    await api('POST', '/sessions', { id: 'bench', start: false });
    const list = await api('POST', '/sessions/bench/lists', { name: 'bench', fields: [{ name: 'city', type: 'string' }, { name: 'visits', type: 'number' }] });
    const text = csv();
    const form = new FormData();
    form.append('file', new Blob([text]), 'contacts.csv');
    const uploaded = await api('POST', `/sessions/bench/lists/${list.id}/imports`, form);
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const done = new Promise((resolve) => {
      const stop = runtime.bus.subscribe((event) => {
        if (event.type === 'contact_list.import' && ['completed', 'failed'].includes(event.data.status)) {
          stop();
          resolve(event.data);
        }
      });
    });
    const started = process.hrtime.bigint();
    await api('POST', `/sessions/bench/lists/${list.id}/imports/${uploaded.id}/start`, { mapping: { phone: 'phone', name: 'name', fields: { city: 'city', visits: 'visits' }, tags: 'tags' }, checkWhatsApp: false });
    const result = await done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    report('Contact import (100,000 rows, 5% invalid)', [
      {
        rows: ROWS,
        file: `${(Buffer.byteLength(text) / 1024 / 1024).toFixed(1)} MiB`,
        status: result.status,
        created: result.created,
        skipped: result.skipped,
        seconds: seconds.toFixed(1),
        'rows/s': Math.round(ROWS / seconds),
        'RSS growth MB': ((peak - before) / 1024 / 1024).toFixed(0),
        target: '< 60 s, < 100 MB',
      },
    ]);
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

module.exports = { main };
