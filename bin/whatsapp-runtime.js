#!/usr/bin/env node
'use strict';
require('../dist/src/runtime/cli.js')
  .main(process.argv.slice(2))
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
