import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const RUNTIME_PACKAGE = '@n8n-whatsapp/runtime';

interface Manifest {
  name: string;
  version: string;
  /** Versions of the n8n nodes package this runtime works with (`0.1.x`). */
  n8nNodes?: { package: string; versions: string };
}

/**
 * The runtime package's own package.json, found by walking up: from an installed package (its dist/), or from the
 * repository (src/ under jest, dist/), where it is packages/runtime/package.json.
 */
export function packageInfo(): Manifest {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'package.json'), join(dir, 'packages', 'runtime', 'package.json')]) {
      const manifest = readManifest(candidate);
      if (manifest?.name === RUNTIME_PACKAGE) return manifest;
    }
    if (dirname(dir) === dir) return { name: RUNTIME_PACKAGE, version: '0.0.0' };
  }
}

function readManifest(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}
