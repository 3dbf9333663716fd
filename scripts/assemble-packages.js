'use strict';
// After the build: the runtime package (packages/runtime) gets its files from the one build in dist/: the runtime, the
// contract, the CLI, the library entry and the licence. The n8n package is the repository root (its `files` pick the
// nodes, the credential, their icons and the contract from dist/).
const { cpSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const RUNTIME = join(ROOT, 'packages', 'runtime');

for (const stale of ['dist', 'bin', 'index.js', 'LICENSE']) rmSync(join(RUNTIME, stale), { recursive: true, force: true });
for (const path of ['dist/src', 'bin', 'index.js', 'LICENSE']) cpSync(join(ROOT, path), join(RUNTIME, path), { recursive: true });
