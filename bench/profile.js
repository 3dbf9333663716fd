'use strict';
// `node --expose-gc bench/profile.js [inbound|burst|rest|queue]` (after a build): CPU profiles of one workload on each side,
// all against one simulator, to attribute what `npm run bench` measures:
// - inbound (default): PROFILE_MESSAGES (1000) texts at 100 msg/s; bare Baileys, the durable floor, the runtime;
// - burst: BENCH_BURST (2000) texts from 10 chats at once; the same three sides;
// - rest: PROFILE_MESSAGES sequential REST sends from a client in its own process; the durable floor's server and
//   the runtime;
// - queue: a backlog of PROFILE_MESSAGES queued sends drained with pacing off (queued beforehand, not profiled); the
//   floor's drain (send, store the message, delete the item) and the runtime's outbound queue.
// Writes bench/results/<mode>-<side>.cpuprofile (open them in Chrome DevTools) and prints the CPU per message, the
// runtime's store commits per message by key namespace, and where each side's extra CPU goes by package or runtime
// folder: the floor's over bare Baileys (what durability and the webhook cost any product) and the runtime's over the
// floor (its own). The sampling profiler itself costs CPU: figures here are for attribution; ratios come from
// `npm run bench`.
const inspector = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const pino = require('pino');
const { startSimulatorProcess, until, ROOT } = require('./lib');
const delivery = require('./delivery');
const send = require('./send');
const { SqliteDatabase } = require('../dist/src/runtime/store/sqlite-store');
const { guardConsole } = require('../dist/src/runtime/whatsapp/console-guard');

const MODE = process.argv[2] ?? 'inbound';
const COUNT = MODE === 'burst' ? delivery.BURST_CHATS * Math.ceil(Number(process.env.BENCH_BURST ?? 2000) / delivery.BURST_CHATS) : Number(process.env.PROFILE_MESSAGES ?? 1000);
const CONTACT = '15550099999';
const RESULTS = join(ROOT, 'bench', 'results');

// store commits by key namespace (session ids and numbers folded), counted while a side is profiled
const commits = { count: 0, keys: new Map() };
const commit = SqliteDatabase.prototype.commit;
SqliteDatabase.prototype.commit = function countedCommit() {
  const pending = [...this.pending.keys()];
  if (pending.length || this.statements.length) commits.count++;
  if (this.statements.length) commits.keys.set('(inbound journal statements)', (commits.keys.get('(inbound journal statements)') ?? 0) + this.statements.length);
  for (const key of pending) {
    const kind = key.split(':').slice(0, 3).join(':').replace(/[0-9A-F]{16,}|\d{5,}/g, '#').replace(/\|\d+$/, '|<page>');
    commits.keys.set(kind, (commits.keys.get(kind) ?? 0) + 1);
  }
  return commit.call(this);
};

const session = new inspector.Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

async function profiled(side, work) {
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  commits.count = 0;
  commits.keys.clear();
  const cpu = process.cpuUsage();
  await work();
  const used = process.cpuUsage(cpu);
  const { profile } = await post('Profiler.stop');
  writeFileSync(join(RESULTS, `${MODE}-${side}.cpuprofile`), JSON.stringify(profile));
  console.log(`${side}: ${((used.user + used.system) / 1000 / COUNT).toFixed(3)} CPU ms/message (profiler on)`);
  return selfTimeByOwner(profile);
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

function printExtra(title, base, side) {
  const total = (owners) => [...owners.values()].reduce((sum, ms) => sum + ms, 0);
  console.log(`\n${title}: ${((1000 * (total(side) - total(base))) / COUNT).toFixed(0)} µs of self CPU per message (profiler on), largest first:`);
  const rows = [...new Set([...base.keys(), ...side.keys()])].map((owner) => [owner, (side.get(owner) ?? 0) - (base.get(owner) ?? 0)]).sort((x, y) => y[1] - x[1]);
  for (const [owner, extra] of rows.slice(0, 20)) console.log(`  ${((1000 * extra) / COUNT).toFixed(0).padStart(5)} µs  ${owner}`);
}

function printCommits() {
  console.log(`runtime store commits per message: ${(commits.count / COUNT).toFixed(2)}; rows per message by key:`);
  for (const [kind, rows] of [...commits.keys].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${(rows / COUNT).toFixed(2).padStart(5)}  ${kind}`);
}

/** The three inbound sides, each profiled while `load(phone, handled)` runs and until it handled COUNT messages. */
async function inboundSides(sim, load) {
  const run = (side, phone, handled) => profiled(side, async () => {
    const before = handled();
    await load(phone);
    await until(() => handled() - before >= COUNT, 120000);
  });
  const { sock, received } = await delivery.countingSocket(sim, '15550090000');
  const bare = await run('bare', '15550090000', received);
  sock.end(undefined);
  const floor = await delivery.durableFloor(sim);
  const floorOwners = await run('floor', floor.phone, floor.handled);
  await floor.stop();
  const { rt, receiver } = await delivery.webhookRuntime(sim, '15550091000');
  const ours = await run('runtime', '15550091000', () => receiver.arrivals.length);
  printCommits();
  await rt.stop();
  receiver.stop();
  printExtra("the floor's extra over bare Baileys", bare, floorOwners);
  printExtra("the runtime's extra over the floor", floorOwners, ours);
}

async function restSides(sim) {
  await sim.call('POST', '/sandbox/users', { phone: '15550098888', name: 'Target' });
  const floor = await send.durableFloor(sim);
  const floorOwners = await profiled('floor', () => send.restClient(floor.url, send.KEY, COUNT));
  floor.stop();
  const { rt, sendUrl } = await send.sendingRuntime(sim);
  const ours = await profiled('runtime', () => send.restClient(sendUrl, send.KEY, COUNT));
  printCommits();
  await rt.stop();
  printExtra("the runtime's extra over the floor", floorOwners, ours);
}

async function queueSides(sim) {
  await sim.call('POST', '/sandbox/users', { phone: '15550098888', name: 'Target' });
  const floor = await send.durableFloor(sim);
  const floorOwners = await profiled('floor', () => floor.drain(COUNT - 20));
  floor.stop();
  const { rt, headers } = await send.sendingRuntime(sim);
  await send.pacingOff(rt, headers);
  const backlog = await send.queueBacklog(rt, headers, COUNT);
  // the drain alone: the wait before it would only add the profiler's own samples
  await new Promise((resolve) => setTimeout(resolve, backlog.dueAt - Date.now()));
  const ours = await profiled('runtime', () => backlog.drained());
  printCommits();
  await rt.stop();
  printExtra("the runtime's extra over the floor", floorOwners, ours);
}

async function main() {
  guardConsole(pino({ level: 'silent' }));
  mkdirSync(RESULTS, { recursive: true });
  const sim = await startSimulatorProcess();
  try {
    if (MODE === 'rest') return await restSides(sim);
    if (MODE === 'queue') return await queueSides(sim);
    if (MODE === 'burst') {
      for (let i = 0; i < delivery.BURST_CHATS; i++) await sim.call('POST', '/sandbox/users', { phone: delivery.burstContact(i), name: `Burst ${i}` });
      return await inboundSides(sim, (phone) => delivery.sendBurst(sim, phone));
    }
    await sim.call('POST', '/sandbox/users', { phone: CONTACT, name: 'Profile' });
    await inboundSides(sim, (phone) => sim.call('POST', `/sandbox/users/${CONTACT}/messages/series`, { to: phone, count: COUNT, perSecond: 100 }));
  } finally {
    sim.stop();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
