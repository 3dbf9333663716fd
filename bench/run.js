'use strict';
// `npm run bench`: every benchmark in turn; each prints a table and writes bench/results/<name>.json.
const benchmarks = [require('./delivery'), require('./send')];

(async () => {
  for (const benchmark of benchmarks) await benchmark.main();
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
