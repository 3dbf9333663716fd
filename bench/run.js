'use strict';
// `npm run bench`: every benchmark in turn; each prints a table and writes bench/results/<name>.json.
const pino = require('pino');
const { guardConsole } = require('../dist/src/runtime/whatsapp/console-guard');
const benchmarks = [require('./delivery'), require('./send'), require('./sessions'), require('./streams'), require('./imports')];

(async () => {
  // the bare Baileys baselines run outside the runtime: keep libsignal's console chatter out of the tables
  guardConsole(pino({ level: 'silent' }));
  for (const benchmark of benchmarks) await benchmark.main();
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
