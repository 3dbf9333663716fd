'use strict';
// Package entry: the runtime as a library (`createRuntime(config)`). n8n itself loads the nodes through the
// "n8n" field of package.json, not through this file.
const unsupported = require('./dist/src/runtime/node-version.js').unsupportedNode();
if (unsupported) throw new Error(unsupported);
module.exports = require('./dist/src/runtime/index.js');
