/**
 * The runtime's layers (docs/architecture.md): every import points down or sideways within its folder, and no two
 * files import each other, directly or around a circle. A new upward import fails here with the edge named.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', 'src', 'runtime');
const CONTRACT = resolve(__dirname, '..', '..', 'src', 'contract');

/** Bottom first. A unit is a folder of src/runtime, or a file directly in it; `contract` is src/contract. */
export const LAYERS = [
  'contract',
  'node-version', 'errors', 'backoff', 'request-context',
  'net',
  'store',
  'whatsapp',
  'config',
  'auth',
  'events',
  'audit',
  'oauth',
  'chats',
  'audiences',
  'sandbox',
  'sessions',
  'cluster',
  'messages',
  'outbound',
  'delivery',
  'waits',
  'archive',
  'usage',
  'metrics',
  'dashboard',
  'http',
  'mcp',
  'package-info',
  'index',
  'cli',
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const unitOf = (file: string) => (file.startsWith(CONTRACT) ? 'contract' : relative(ROOT, file).split('/')[0].replace(/\.ts$/, ''));

const edges = new Map<string, string[]>();
for (const file of [...files(ROOT), ...files(CONTRACT)]) {
  const specs = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  edges.set(file, specs.map((spec) => resolveImport(file, spec)).filter((target): target is string => !!target));
}

describe('runtime layering', () => {
  test('every unit of src/runtime has its place in the layer order', () => {
    const units = new Set([...edges.keys()].map(unitOf));
    expect([...units].filter((unit) => !LAYERS.includes(unit))).toEqual([]);
  });

  test('no import runs from a lower layer up to a higher one', () => {
    const upward: string[] = [];
    for (const [file, targets] of edges) {
      for (const target of targets) {
        if (LAYERS.indexOf(unitOf(target)) > LAYERS.indexOf(unitOf(file))) upward.push(`${relative(ROOT, file)} -> ${relative(ROOT, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  test('the contract depends on nothing but Node built-ins, and the nodes import no runtime code', () => {
    const contractImports = files(CONTRACT).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]));
    expect(contractImports.filter((spec) => !spec.startsWith('./') && !spec.startsWith('node:'))).toEqual([]);
    const nodes = resolve(__dirname, '..', '..', 'nodes');
    const nodeImports = files(nodes).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => ({ file: relative(nodes, file), spec: m[1] })));
    expect(nodeImports.filter(({ spec }) => spec.includes('src/runtime'))).toEqual([]);
  });

  test('no two files import each other, directly or around a circle', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const target of edges.get(file) ?? []) {
        if (state.get(target) === 'open') circles.push(path.slice(path.indexOf(target)).concat(target).map((f) => relative(ROOT, f)).join(' -> '));
        else if (!state.has(target)) visit(target);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of edges.keys()) if (!state.has(file)) visit(file);
    expect(circles).toEqual([]);
  });
});
