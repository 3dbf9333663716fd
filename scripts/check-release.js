'use strict';
// Release gate: the tag (vX.Y.Z) must be the version of both packages and of the version the nodes compile in
// (src/contract/versions.ts), and each package must accept the other's version. Exits non-zero, saying what differs.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const read = (path) => readFileSync(join(ROOT, path), 'utf8');
const nodes = JSON.parse(read('package.json'));
const runtime = JSON.parse(read('packages/runtime/package.json'));
const compiled = /NODES_VERSION = '([^']+)'/.exec(read('src/contract/versions.ts'))?.[1];
const tag = String(process.argv[2] ?? '');
const version = tag.replace(/^v/, '');
const minor = (v) => `${v.split('.').slice(0, 2).join('.')}.x`;

const problems = [];
if (!/^v\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/.test(tag)) problems.push(`the tag "${tag}" is not vX.Y.Z`);
if (nodes.version !== version) problems.push(`package.json is ${nodes.version}`);
if (runtime.version !== version) problems.push(`packages/runtime/package.json is ${runtime.version}`);
if (compiled !== version) problems.push(`src/contract/versions.ts NODES_VERSION is ${compiled}`);
if (nodes.whatsappRuntime?.versions !== minor(version)) problems.push(`package.json whatsappRuntime.versions is ${nodes.whatsappRuntime?.versions}, not ${minor(version)}`);
if (runtime.n8nNodes?.versions !== minor(version)) problems.push(`packages/runtime/package.json n8nNodes.versions is ${runtime.n8nNodes?.versions}, not ${minor(version)}`);
if (nodes.dependencies && Object.keys(nodes.dependencies).length) problems.push('the n8n package has dependencies');
if (problems.length) {
  process.stderr.write(`cannot release ${tag}: ${problems.join('; ')}\n`);
  process.exit(1);
}
process.stdout.write(`releasing ${nodes.name} and ${runtime.name} ${version}\n`);
