/**
 * The credential's test as n8n runs it (its request with the credential applied, then its rules on the answer, read
 * with a dotted path as n8n does) against a real runtime: the key, the URL, and whether this runtime's version works
 * with these nodes. A runtime of another minor version is played by asking as nodes of another version would.
 */
import type { ICredentialTestRequest } from 'n8n-workflow';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WhatsAppRuntimeApi } from '../../credentials/WhatsAppRuntimeApi.credentials';
import { compatibility, NODES_VERSION, RUNTIME_VERSIONS, versionMatches } from '../../src/contract';
import { ADMIN_KEY, startRuntime, type TestRuntime } from '../helpers/runtime';

const credential = new WhatsAppRuntimeApi();
const credentialTest = credential.test as ICredentialTestRequest;

/** What n8n's credential tester concludes. */
async function runTest(t: TestRuntime, apiKey: string, qs: Record<string, string> = credentialTest.request.qs as Record<string, string>): Promise<{ status: 'OK' | 'Error'; message?: string; body: unknown }> {
  const url = new URL(`${t.runtime.url}${credentialTest.request.url}`);
  for (const [key, value] of Object.entries(qs)) url.searchParams.set(key, value);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${apiKey}` } });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) return { status: 'Error', message: String((body.error as { message?: string })?.message), body };
  for (const rule of credentialTest.rules ?? []) {
    if (rule.type !== 'responseSuccessBody') continue;
    const value = rule.properties.key.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], body);
    if (value === rule.properties.value) return { status: 'Error', message: rule.properties.message, body };
  }
  return { status: 'OK', body };
}

describe('credential test', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime();
  });
  afterAll(() => t.close());

  test('the nodes and the runtime of this repository work together', async () => {
    const result = await runTest(t, ADMIN_KEY);
    expect(result.status).toBe('OK');
    expect(result.body).toMatchObject({ role: 'admin', compatibility: { status: 'compatible', nodes: NODES_VERSION, runtimesAccepted: RUNTIME_VERSIONS } });
  });

  test('a wrong key fails with the runtime\'s words', async () => {
    expect(await runTest(t, 'wrong-key-0123456789abcdef0')).toMatchObject({ status: 'Error', message: expect.stringMatching(/API key/) });
  });

  test('nodes newer than the runtime are told to update the runtime, older ones to update the nodes', async () => {
    const newer = await runTest(t, ADMIN_KEY, { nodes: '0.2.0', runtimes: '0.2.x' });
    expect(newer).toMatchObject({ status: 'Error', message: expect.stringMatching(/update the runtime/) });
    expect(newer.body).toMatchObject({ compatibility: { status: 'runtime_too_old', message: expect.stringMatching(/npx @n8n-whatsapp\/runtime@latest/) } });
    const older = await runTest(t, ADMIN_KEY, { nodes: '0.0.9', runtimes: '0.0.x' });
    expect(older).toMatchObject({ status: 'Error', message: expect.stringMatching(/update n8n-nodes-whatsapp-runtime/) });
  });

  test('a malformed version is a 400 naming the field', async () => {
    const response = await t.api('GET', '/api/v1/me?nodes=latest');
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain('nodes');
    expect((await t.api('GET', '/api/v1/me?runtimes=0.1.x')).status).toBe(400);
  });
});

test('version patterns and verdicts', () => {
  expect(versionMatches('0.1.7', '0.1.x')).toBe(true);
  expect(versionMatches('0.2.0', '0.1.x')).toBe(false);
  expect(versionMatches('1.4.2', '1.x')).toBe(true);
  expect(versionMatches('1.4.2-rc.1', '1.4.x')).toBe(true);
  expect(compatibility('0.1.3', '0.1.x', '0.1.0', '0.1.x')).toBe('compatible');
  expect(compatibility('0.1.3', '0.1.x', '0.2.0', '0.2.x')).toBe('runtime_too_old');
  expect(compatibility('1.0.0', '1.x', '0.9.0', '0.9.x')).toBe('runtime_too_new');
});

test('the versions compiled into the nodes are the package\'s own', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string; whatsappRuntime: { versions: string } };
  expect(NODES_VERSION).toBe(manifest.version);
  expect(RUNTIME_VERSIONS).toBe(manifest.whatsappRuntime.versions);
});
