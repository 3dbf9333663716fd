/**
 * The two packages this repository publishes (issue #21), as `npm pack` would ship them from the build: the n8n
 * package (the repository root: nodes, credential, icons and the contract, no dependencies, as n8n's verification
 * requires) and the runtime (packages/runtime: everything it loads is declared). CI builds first.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { minorVersions } from '../../src/contract';

const ROOT = join(__dirname, '..', '..');
const RUNTIME = join(ROOT, 'packages', 'runtime');

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
  whatsappRuntime?: { package: string; versions: string };
  n8nNodes?: { package: string; versions: string };
}
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
const packed = (dir: string) => (JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { files: { path: string }[] }[])[0].files.map((f) => f.path);

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (name.endsWith('.js')) yield path;
  }
}

test('the n8n package has no dependencies and ships only the nodes, the credential, their icons and the contract', () => {
  const nodes = manifest(ROOT);
  expect(nodes.name).toBe('n8n-nodes-whatsapp-runtime');
  expect(nodes.dependencies).toBeUndefined();
  const outside = packed(ROOT).filter((path) => !/^dist\/(nodes|credentials|icons|src\/contract)\//.test(path) && !['package.json', 'README.md', 'LICENSE'].includes(path));
  expect(outside).toEqual([]);
});

test('the runtime package ships the CLI, the runtime and the dashboard, and declares every module it loads', () => {
  const runtime = manifest(RUNTIME);
  expect(runtime.name).toBe('@n8n-whatsapp/runtime');
  expect(runtime.bin).toEqual({ 'whatsapp-runtime': 'bin/whatsapp-runtime.js' });
  const shipped = packed(RUNTIME);
  expect(shipped).toEqual(expect.arrayContaining(['bin/whatsapp-runtime.js', 'index.js', 'LICENSE', 'dist/src/runtime/cli.js', 'dist/src/runtime/dashboard/public/index.html']));
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const undeclared = new Set<string>();
  for (const file of [...files(join(RUNTIME, 'dist')), join(RUNTIME, 'bin', 'whatsapp-runtime.js'), join(RUNTIME, 'index.js')]) {
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:require\(|import\()\s*["']([^"'.][^"']*)["']/g)) {
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!builtins.has(name) && !builtins.has(spec) && !runtime.dependencies?.[name]) undeclared.add(`${name} (${relative(RUNTIME, file)})`);
    }
  }
  expect([...undeclared]).toEqual([]);
});

test('each package names the other and the versions it works with, which include the other\'s own version', () => {
  const nodes = manifest(ROOT);
  const runtime = manifest(RUNTIME);
  expect(nodes.whatsappRuntime?.package).toBe(runtime.name);
  expect(runtime.n8nNodes?.package).toBe(nodes.name);
  expect(nodes.whatsappRuntime?.versions).toBe(minorVersions(runtime.version));
  expect(runtime.n8nNodes?.versions).toBe(minorVersions(nodes.version));
});
