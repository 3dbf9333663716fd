'use strict';
// Benchmarks: each prints a table and writes its results under bench/results/. None is written yet.
process.stdout.write('no benchmarks yet\n');
