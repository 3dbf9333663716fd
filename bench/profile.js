'use strict';
// `node --expose-gc bench/profile.js` (after a build): CPU profiles of inbound messages at 100 msg/s, bare Baileys
// and the runtime (journal + outbox + signed webhook to a receiver in its own process), on one simulator. Writes
// bench/results/inbound-{bare,runtime}.cpuprofile (open them in Chrome DevTools) and prints the CPU per message, the
// store commits per message by key namespace, and where the runtime's extra CPU goes, by package or runtime folder.
// PROFILE_MESSAGES (default 1000) messages per side; the sampling profiler itself costs CPU, so the figures here are
// for attribution only: ratios come from `npm run bench`.
const inspector = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const pino = require('pino');
const { startSimulatorProcess, until, ROOT } = require('./lib');
const { countingSocket, webhookRuntime } = require('./delivery');
const { SqliteDatabase } = require('../dist/src/runtime/store/sqlite-store');
const { guardConsole } = require('../dist/src/runtime/whatsapp/console-guard');

const COUNT = Number(process.env.PROFILE_MESSAGES ?? 1000);
const CONTACT = '15550099999';
const RESULTS = join(ROOT, 'bench', 'results');

// store commits by key namespace (session ids and numbers folded), counted while a side is profiled
const commits = { count: 0, keys: new Map() };
const commit = SqliteDatabase.prototype.commit;
SqliteDatabase.prototype.commit = function countedCommit() {
  const pending = [...this.pending.keys()];
  if (pending.length) commits.count++;
  for (const key of pending) {
    const kind = key.split(':').slice(0, 3).join(':').replace(/[0-9A-F]{16,}|\d{5,}/g, '#').replace(/\|\d+$/, '|<page>');
    commits.keys.set(kind, (commits.keys.get(kind) ?? 0) + 1);
  }
  return commit.call(this);
};

const session = new inspector.Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

async function profiled(name, work) {
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  commits.count = 0;
  commits.keys.clear();
  const cpu = process.cpuUsage();
  await work();
  const used = process.cpuUsage(cpu);
  const { profile } = await post('Profiler.stop');
  writeFileSync(join(RESULTS, `inbound-${name}.cpuprofile`), JSON.stringify(profile));
  console.log(`${name}: ${((used.user + used.system) / 1000 / COUNT).toFixed(3)} CPU ms/message (profiler on)`);
  return profile;
}

/** Self time by where the code lives: an npm package, a runtime folder, a node: module, or a native frame. */
function selfTimeByOwner(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const owners = new Map();
  profile.samples.forEach((id, index) => {
    const { url, functionName } = byId.get(id).callFrame;
    const owner = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? (/dist\/src\/runtime\/([^/]+)/.exec(url) ? `runtime: ${/dist\/src\/runtime\/([^/.]+)/.exec(url)[1]}` : url.startsWith('node:') ? url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/') : `(${functionName || url || 'native'})`);
    owners.set(owner, (owners.get(owner) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  owners.delete('((idle))');
  return owners;
}

async function main() {
  guardConsole(pino({ level: 'silent' }));
  mkdirSync(RESULTS, { recursive: true });
  const sim = await startSimulatorProcess();
  try {
    await sim.call('POST', '/sandbox/users', { phone: CONTACT, name: 'Profile' });
    const series = (to) => sim.call('POST', `/sandbox/users/${CONTACT}/messages/series`, { to, count: COUNT, perSecond: 100 });

    const { sock, received } = await countingSocket(sim, '15550090000');
    const bare = await profiled('bare', async () => {
      await series('15550090000');
      await until(() => received() >= COUNT, 120000);
    });
    sock.end(undefined);

    const { rt, receiver } = await webhookRuntime(sim, '15550091000');
    const ours = await profiled('runtime', async () => {
      await series('15550091000');
      await until(() => receiver.arrivals.length >= COUNT, 120000);
    });
    console.log(`store commits per message: ${(commits.count / COUNT).toFixed(2)}; rows per message by key:`);
    for (const [kind, rows] of [...commits.keys].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${(rows / COUNT).toFixed(2).padStart(5)}  ${kind}`);
    await rt.stop();
    receiver.stop();

    const a = selfTimeByOwner(bare);
    const b = selfTimeByOwner(ours);
    const total = (owners) => [...owners.values()].reduce((sum, ms) => sum + ms, 0);
    console.log(`\nself CPU ms per message (profiler on): bare ${(total(a) / COUNT).toFixed(3)}, runtime ${(total(b) / COUNT).toFixed(3)}; the runtime's extra, largest first:`);
    const rows = [...new Set([...a.keys(), ...b.keys()])].map((owner) => [owner, (b.get(owner) ?? 0) - (a.get(owner) ?? 0)]).sort((x, y) => y[1] - x[1]);
    for (const [owner, extra] of rows.slice(0, 25)) console.log(`  ${((1000 * extra) / COUNT).toFixed(0).padStart(5)} µs  ${owner}`);
  } finally {
    sim.stop();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
