import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package's own package.json, found by walking up (the same code runs from src/ under jest and from dist/). */
export function packageInfo(): { name: string; version: string } {
  let dir = __dirname;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
      if (pkg.name === 'n8n-nodes-whatsapp-runtime') return pkg;
    } catch {
      // not in this folder: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return { name: 'n8n-nodes-whatsapp-runtime', version: '0.0.0' };
    dir = parent;
  }
}
