/** The documentation the nodes point to exists: the credential's README anchor, and docs/nodes.md lists every operation. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INodePropertyOptions } from 'n8n-workflow';
import { WhatsAppRuntimeApi } from '../../credentials/WhatsAppRuntimeApi.credentials';
import { WhatsApp } from '../../nodes/WhatsApp/WhatsApp.node';

const ROOT = join(__dirname, '..', '..');

/** Heading anchors the way npm and GitHub render them. */
function anchors(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map(([, title]) => title.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
}

test("the credential's documentation link points to a README section that exists", () => {
  const anchor = new URL(new WhatsAppRuntimeApi().documentationUrl).hash.slice(1);
  expect(anchors(readFileSync(join(ROOT, 'README.md'), 'utf8'))).toContain(anchor);
});

test('docs/nodes.md names every operation of the WhatsApp Runtime node', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'nodes.md'), 'utf8');
  const { properties } = new WhatsApp().description;
  const missing = properties
    .filter((p) => p.name === 'operation')
    .flatMap((p) => (p.options as INodePropertyOptions[]).map((o) => o.name))
    .filter((name) => !doc.includes(`| ${name} |`));
  expect(missing).toEqual([]);
});
