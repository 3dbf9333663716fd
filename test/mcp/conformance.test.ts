/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios) against /mcp of a sandbox
 * runtime. The suite sends no credential, so it talks to a loopback proxy that adds the admin key and forwards the
 * Host and Origin headers unchanged (the DNS-rebinding scenario depends on them). Expected failures, each with its
 * reason, are in conformance-baseline.yml; the CLI exits non-zero on a new failure and on a baseline entry that
 * passes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY, startRuntime, type TestRuntime } from '../helpers/runtime';

let t: TestRuntime;
let proxy: Server;
const output = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));

beforeAll(async () => {
  t = await startRuntime();
  const target = new URL(t.runtime.url);
  proxy = createServer((incoming, outgoing) => {
    const upstream = request({ host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, authorization: `Bearer ${ADMIN_KEY}` } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
}, 30_000);
afterAll(async () => {
  proxy?.close();
  await t?.close();
  rmSync(output, { recursive: true, force: true });
});

test('the server scenarios pass except the listed fixtures', async () => {
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp`;
  const cli = require.resolve('@modelcontextprotocol/conformance/dist/index.js');
  const run = spawn(process.execPath, [cli, 'server', '--url', url, '--expected-failures', join(__dirname, 'conformance-baseline.yml'), '-o', output], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  run.stdout.on('data', (chunk) => (log += chunk));
  run.stderr.on('data', (chunk) => (log += chunk));
  const code = await new Promise<number | null>((resolve) => run.on('close', resolve));
  if (code !== 0) throw new Error(`conformance exited ${code}:\n${log.slice(-4000)}`);
  const passed = readdirSync(output).flatMap((dir) => JSON.parse(readFileSync(join(output, dir, 'checks.json'), 'utf8')) as { id: string; status: string }[]).filter((check) => check.status === 'SUCCESS').map((check) => check.id);
  expect(passed).toEqual(expect.arrayContaining(['server-initialize', 'ping', 'tools-list', 'resources-list', 'prompts-list', 'logging-set-level', 'localhost-host-rebinding-rejected', 'localhost-host-valid-accepted']));
}, 120_000);
