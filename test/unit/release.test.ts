/**
 * The release path (issue #21), as far as it can be checked without GitHub: the workflows parse, a tag runs the gate,
 * then the whole CI script, then publishes both packages with npm provenance; the gate passes for the packages'
 * version and refuses any other.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
interface Workflow {
  on: { push?: { tags?: string[]; branches?: string[] }; pull_request?: unknown };
  permissions: Record<string, string>;
  jobs: Record<string, { steps: { run?: string; uses?: string }[] }>;
}
const workflow = (name: string) => parse(readFileSync(join(ROOT, '.github', 'workflows', name), 'utf8')) as Workflow;
const gate = (tag: string) => spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-release.js'), tag], { encoding: 'utf8' });

test('a version tag tests everything, then publishes both packages with provenance', () => {
  const release = workflow('release.yml');
  expect(release.on.push?.tags).toEqual(['v*.*.*']);
  expect(release.permissions['id-token']).toBe('write');
  const runs = release.jobs.publish.steps.map((step) => step.run).filter(Boolean);
  expect(runs).toEqual([
    'node scripts/check-release.js "$GITHUB_REF_NAME"',
    'bash .ci/run',
    'npm publish --provenance --access public',
    'npm publish --provenance --access public --workspace packages/runtime',
  ]);
  const ci = workflow('ci.yml');
  expect(ci.jobs.test.steps.map((step) => step.run).filter(Boolean)).toEqual(['bash .ci/run']);
});

test('the release gate passes for the packages\' own version and names every difference otherwise', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  expect(gate(`v${version}`).status).toBe(0);
  const wrong = gate('v9.9.9');
  expect(wrong.status).toBe(1);
  expect(wrong.stderr).toMatch(/package\.json is .*packages\/runtime\/package\.json is .*NODES_VERSION is/);
  expect(gate('latest').stderr).toMatch(/is not vX\.Y\.Z/);
});
