/**
 * What the n8n nodes would ship in a package of their own (issue #21): starting from each built node and
 * credential, every file they load, followed through relative requires. They must stay inside nodes/,
 * credentials/ and the dependency-free contract, and load no module outside n8n's allowed list (the rule of
 * @n8n/eslint-plugin-community-nodes). Runs on `dist/` (CI builds first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const ALLOWED = new Set(['n8n-workflow', 'ai-node-sdk', 'lodash', 'moment', 'p-limit', 'luxon', 'zod', 'crypto', 'node:crypto', '@n8n/ai-node-sdk']);
const SHIPPED = ['nodes', 'credentials', join('src', 'contract')];

function closure(entries: string[]): { files: string[]; externals: Map<string, string> } {
  const seen = new Set<string>();
  const externals = new Map<string, string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const [, spec] of code.matchAll(/require\("([^"]+)"\)/g)) {
      if (!spec.startsWith('.')) {
        externals.set(spec, relative(DIST, file));
        continue;
      }
      const base = resolve(dirname(file), spec);
      const target = [`${base}.js`, join(base, 'index.js'), base].find((candidate) => existsSync(candidate) && candidate.endsWith('.js'));
      if (!target) throw new Error(`${relative(DIST, file)} requires ${spec}, which is not built`);
      queue.push(target);
    }
  }
  return { files: [...seen], externals };
}

test('the built nodes and credential load only allowed modules and files of the nodes package', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { n8n: { nodes: string[]; credentials: string[] } };
  const entries = [...manifest.n8n.nodes, ...manifest.n8n.credentials].map((path) => join(ROOT, path));
  for (const entry of entries) expect(existsSync(entry)).toBe(true);
  const { files, externals } = closure(entries);
  const outside = files.map((file) => relative(DIST, file)).filter((file) => !SHIPPED.some((dir) => file.startsWith(`${dir}/`)));
  expect(outside).toEqual([]);
  const forbidden = [...externals].filter(([spec]) => !ALLOWED.has(spec)).map(([spec, from]) => `${spec} (from ${from})`);
  expect(forbidden).toEqual([]);
  // the nodes really are in it: the trigger's signature check comes from the contract
  expect(files.some((file) => file.endsWith(join('src', 'contract', 'signature.js')))).toBe(true);
});
