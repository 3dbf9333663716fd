#!/usr/bin/env node
'use strict';
const unsupported = require('../dist/src/runtime/node-version.js').unsupportedNode();
if (unsupported) {
  process.stderr.write(`${unsupported}\n`);
  process.exit(1);
}
require('../dist/src/runtime/cli.js')
  .main(process.argv.slice(2))
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
