'use strict';
// A real n8n on this machine with our nodes installed the production way, shared by the end-to-end tests and
// `npm run demo`: install n8n once per machine (test/e2e/install-n8n.sh), pack and install the n8n package into a user
// folder, start n8n, set up its owner and an API key for its public API.
const { execFileSync, spawn } = require('node:child_process');
const { mkdirSync, readdirSync } = require('node:fs');
const { createServer } = require('node:net');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

/** Installs n8n once per machine (about 3 minutes the first time) and returns the path of its binary. */
function installN8n() {
  const out = execFileSync('bash', [join(ROOT, 'test', 'e2e', 'install-n8n.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  return out.trim().split('\n').pop();
}

/** Packs the package in `dir` into `into` and returns the tarball's path. */
function pack(dir, into) {
  mkdirSync(into, { recursive: true });
  execFileSync('npm', ['pack', dir, '--pack-destination', into], { stdio: 'ignore' });
  return join(into, readdirSync(into).find((file) => file.endsWith('.tgz')));
}

/** The n8n package, packed and installed into `userFolder`/.n8n/nodes as n8n's community-package install does. */
function installNodesPackage(userFolder, work) {
  const nodes = join(userFolder, '.n8n', 'nodes');
  mkdirSync(nodes, { recursive: true });
  execFileSync('npm', ['install', pack(ROOT, join(work, 'nodes-package')), '--prefix', nodes, '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: 'ignore', timeout: 5 * 60_000 });
}

/** The runtime package, packed and installed with npm into `work`/runtime; returns its CLI. */
function installRuntimePackage(work) {
  const prefix = join(work, 'runtime');
  execFileSync('npm', ['install', pack(join(ROOT, 'packages', 'runtime'), join(work, 'runtime-package')), '--prefix', prefix, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: 'ignore', timeout: 5 * 60_000 });
  return join(prefix, 'node_modules', '@n8n-whatsapp', 'runtime', 'bin', 'whatsapp-runtime.js');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts n8n on loopback and resolves when it is ready: `{ base, child, log(), stop() }`. */
async function startN8n({ bin, userFolder, port }) {
  const base = `http://127.0.0.1:${port}`;
  let log = '';
  const child = spawn(process.execPath, [bin, 'start'], {
    env: {
      ...process.env,
      // jest sets NODE_ENV=test, which makes n8n start very slowly and quietly
      NODE_ENV: 'production',
      N8N_USER_FOLDER: userFolder,
      DB_TYPE: 'sqlite',
      N8N_ENCRYPTION_KEY: 'e2e-fixed-encryption-key-0123456789',
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_HOST: '127.0.0.1',
      N8N_PORT: String(port),
      N8N_PROTOCOL: 'http',
      N8N_WEBHOOK_URL: `${base}/`,
      N8N_RUNNERS_BROKER_PORT: String(await freePort()),
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_DYNAMIC_BANNERS_ENABLED: 'false',
      N8N_AI_ENABLED: 'false',
      N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
      N8N_SECURE_COOKIE: 'false',
      N8N_DISABLED_MODULES: 'mcp-registry',
      N8N_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (log += chunk));
  child.stderr.on('data', (chunk) => (log += chunk));
  const deadline = Date.now() + 120_000;
  while ((await fetch(`${base}/healthz/readiness`).catch(() => undefined))?.status !== 200) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`n8n did not get ready\n--- n8n log ---\n${log.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  return { base, child, log: () => log, stop };
}

/** Sets up n8n's owner, signs in and makes a public-API key with every scope: `{ cookie, apiKey }`. */
async function setupOwner(base, owner) {
  const post = (path, body, headers = {}) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const setup = await post('/rest/owner/setup', owner);
  if (!setup.ok) throw new Error(`owner setup: ${setup.status} ${await setup.text()}`);
  const login = await post('/rest/login', { emailOrLdapLoginId: owner.email, password: owner.password });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const scopes = (await (await fetch(`${base}/rest/api-keys/scopes`, { headers: { cookie } })).json()).data;
  const created = await (await post('/rest/api-keys', { label: 'whatsapp-runtime', scopes, expiresAt: null }, { cookie })).json();
  return { cookie, apiKey: created.data.rawApiKey };
}

/** A caller of n8n's public API that throws with n8n's answer (and its log) on a failure. */
function publicApi(base, apiKey, log = () => '') {
  return async (method, path, body) => {
    const response = await fetch(`${base}/api/v1${path}`, { method, headers: { 'x-n8n-api-key': apiKey, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}\n--- n8n log ---\n${log().slice(-3000)}`);
    return response.json();
  };
}

module.exports = { installN8n, installNodesPackage, installRuntimePackage, freePort, startN8n, setupOwner, publicApi };
