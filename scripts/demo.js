'use strict';
// npm run demo: everything on this machine, no phone. The runtime in sandbox mode with a linked number, a real n8n
// (installed once, then cached) with our nodes installed the production way, a credential and an auto-reply workflow,
// active. Prints where to go and what to type; Ctrl-C stops both. `--check` sends the simulated contact's "hi"
// itself, waits for the answer and exits (0 when it came). Every run starts from empty data in ./data-demo.
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const harness = require('./n8n-harness');

const ROOT = join(__dirname, '..');
const DATA = join(ROOT, 'data-demo');
const NUMBER = '15550001000';
const ALICE = { phone: '15550001001', name: 'Alice' };
const OWNER = { email: 'demo@example.com', firstName: 'Demo', lastName: 'User', password: 'DemoPassw0rd!' };
const check = process.argv.includes('--check');
const say = (line) => process.stdout.write(`${line}\n`);

async function main() {
  const started = Date.now();
  if (!existsSync(join(ROOT, 'packages', 'runtime', 'dist', 'src', 'runtime', 'index.js'))) {
    say('building (npm run build) …');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  }
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true, mode: 0o700 });

  const { createRuntime } = require('../dist/src/runtime');
  const adminApiKey = randomBytes(24).toString('base64url');
  const runtime = createRuntime({ host: '127.0.0.1', port: Number(process.env.WA_PORT ?? 3100), dataDir: join(DATA, 'runtime'), sandbox: true, adminApiKey, logLevel: process.env.WA_LOG_LEVEL ?? 'fatal', quiet: true });
  await runtime.start();
  const api = async (method, path, body) => {
    const response = await fetch(`${runtime.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${adminApiKey}`, ...(body && { 'content-type': 'application/json' }) }, body: body && JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (response.headers.get('content-type') ?? '').includes('json') ? response.json() : response.text();
  };
  const sim = runtime.sandbox;
  sim.createUser(ALICE);
  await api('POST', '/sessions', { id: 'demo' });
  await sim.scanQrUntilLinked(() => api('GET', '/sessions/demo/qr?format=raw').catch(() => undefined), NUMBER);
  say(`runtime: ${runtime.url}, sandbox number +${NUMBER} linked as session "demo"`);

  say('n8n: installing once per machine (about 3 minutes the first time) …');
  const bin = harness.installN8n();
  const userFolder = join(DATA, 'n8n');
  harness.installNodesPackage(userFolder, join(DATA, 'packages'));
  const n8n = await harness.startN8n({ bin, userFolder, port: Number(process.env.N8N_PORT ?? 5678) });
  const stop = async () => {
    await n8n.stop();
    await runtime.stop();
  };
  try {
    const { apiKey } = await harness.setupOwner(n8n.base, OWNER);
    const n8nApi = harness.publicApi(n8n.base, apiKey, n8n.log);
    const credential = await n8nApi('POST', '/credentials', { name: 'WhatsApp runtime (demo)', type: 'whatsAppRuntimeApi', data: { baseUrl: runtime.url, apiKey: adminApiKey } });
    const credentials = { whatsAppRuntimeApi: { id: credential.id, name: credential.name } };
    const workflow = await n8nApi('POST', '/workflows', {
      name: 'WhatsApp demo: auto-reply',
      settings: { executionOrder: 'v1' },
      nodes: [
        { id: 't', name: 'WhatsApp Runtime Trigger', type: 'n8n-nodes-whatsapp-runtime.whatsAppTrigger', typeVersion: 2, position: [0, 0], webhookId: '5b0c2f0e-9a51-4a6e-8f0e-6d0d1e2f3a4b', parameters: { events: ['message.received'], sessions: ['demo'], options: {} }, credentials },
        { id: 'r', name: 'Reply', type: 'n8n-nodes-whatsapp-runtime.whatsApp', typeVersion: 1, position: [260, 0], parameters: { resource: 'message', operation: 'sendText', text: '=Hello {{ $json.pushName }}! You wrote: {{ $json.text }}', options: {} }, credentials },
      ],
      connections: { 'WhatsApp Runtime Trigger': { main: [[{ node: 'Reply', type: 'main', index: 0 }]] } },
    });
    await n8nApi('POST', `/workflows/${workflow.id}/activate`);
    for (const deadline = Date.now() + 30_000; (await api('GET', '/webhooks')).webhooks.length === 0; ) {
      if (Date.now() > deadline) throw new Error('the workflow did not register its webhook with the runtime');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    say(`ready in ${Math.round((Date.now() - started) / 1000)} s\n`);
    say(`  n8n        ${n8n.base}/workflow/${workflow.id}   (sign in as ${OWNER.email} / ${OWNER.password})`);
    say(`  dashboard  ${runtime.url}   (API key ${adminApiKey})`);
    say(`  try it     in the dashboard, Sandbox: as Alice (+${ALICE.phone}) write "hi" to session "demo"; the workflow answers\n`);
    if (check) {
      const { buildMessage } = require('../dist/src/runtime/sandbox/messages');
      await sim.sendMessage(ALICE.phone, NUMBER, buildMessage.text('hi'));
      const reply = await sim.waitForReceived(ALICE.phone, (m) => /^Hello Alice! You wrote: hi$/.test(m.text ?? ''), 30_000);
      say(`check: Alice got "${reply.text}"`);
      await stop();
      return;
    }
    say('Ctrl-C stops n8n and the runtime.');
    await new Promise((resolve) => process.once('SIGINT', resolve));
    await stop();
  } catch (error) {
    await stop();
    throw error;
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
