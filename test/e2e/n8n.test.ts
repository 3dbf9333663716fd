/**
 * End to end inside a real n8n, installed as a user installs it: the n8n package packed and installed the
 * production way (into ~/.n8n/nodes/node_modules), the runtime package packed, installed with npm and run as its own
 * process against the simulator. A workflow WhatsApp Runtime Trigger → WhatsApp Runtime (Send Text) is created and
 * activated through n8n's public API, and a simulated contact's "hi" gets "hello <name>" back. n8n is installed once
 * per machine by install-n8n.sh (about 3 minutes the first time).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import type { ReceivedMessage } from '../../src/runtime/sandbox/users';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { linkChildSession, startChild, type ChildRuntime } from '../helpers/child-runtime';
import { ADMIN_KEY } from '../helpers/runtime';
import { inTheEditor } from './n8n-editor';
import { until } from '../helpers/until';

const ROOT = join(__dirname, '..', '..');
const BUILT = existsSync(join(ROOT, 'dist', 'nodes', 'WhatsApp', 'WhatsApp.node.js')) && existsSync(join(ROOT, 'packages', 'runtime', 'dist', 'src', 'runtime', 'cli.js'));
if (!BUILT) process.stdout.write('dist/ is missing: the n8n end-to-end test is SKIPPED (run `npm run build` first)\n');
const PACKAGE = 'n8n-nodes-whatsapp-runtime';

(BUILT ? describe : describe.skip)('inside a real n8n', () => {
  let runtime: ChildRuntime;
  let sim: Simulator;
  let n8n: ChildProcess | undefined;
  let base = '';
  let apiKey = '';
  let cookie = '';
  const work = mkdtempSync(join(tmpdir(), 'wa-n8n-e2e-'));
  let log = '';

  beforeAll(async () => {
    const n8nBin = execFileSync('bash', [join(__dirname, 'install-n8n.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 }).trim().split('\n').pop()!;
    const userFolder = join(work, 'home');
    mkdirSync(join(userFolder, '.n8n', 'nodes'), { recursive: true });
    execFileSync('npm', ['pack', ROOT, '--pack-destination', work], { stdio: 'ignore' });
    const tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    execFileSync('npm', ['install', tarball, '--prefix', join(userFolder, '.n8n', 'nodes'), '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: 'ignore', timeout: 5 * 60_000 });

    // the runtime package packed and installed as a user's npx would, run as its own process against the simulator
    mkdirSync(join(work, 'runtime'));
    execFileSync('npm', ['pack', join(ROOT, 'packages', 'runtime'), '--pack-destination', join(work, 'runtime')], { stdio: 'ignore' });
    const runtimeTarball = join(work, 'runtime', readdirSync(join(work, 'runtime')).find((f) => f.endsWith('.tgz'))!);
    execFileSync('npm', ['install', runtimeTarball, '--prefix', join(work, 'runtime'), '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: 'ignore', timeout: 5 * 60_000 });
    sim = await Simulator.start();
    sim.createUser({ phone: '15550013001', name: 'Alice' });
    runtime = await startChild(sim, join(work, 'runtime-data'), join(work, 'runtime', 'node_modules', '@n8n-whatsapp', 'runtime', 'bin', 'whatsapp-runtime.js'));
    await linkChildSession(runtime, sim, 'e2e', '15550013000');

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    n8n = spawn(process.execPath, [n8nBin, 'start'], {
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
    n8n.stdout!.on('data', (c) => (log += c));
    n8n.stderr!.on('data', (c) => (log += c));
    await until(async () => (await fetch(`${base}/healthz/readiness`).catch(() => undefined))?.status === 200, 120_000, 200).catch((error: Error) => {
      throw new Error(`${error.message}: n8n did not get ready\n--- n8n log ---\n${log.slice(-4000)}`);
    });

    const owner = { email: 'e2e@example.com', firstName: 'E2E', lastName: 'Bot', password: 'E2ePassw0rd!x' };
    await json('POST', '/rest/owner/setup', owner);
    const login = await fetch(`${base}/rest/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }) });
    cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const scopes = ((await (await fetch(`${base}/rest/api-keys/scopes`, { headers: { cookie } })).json()) as { data: string[] }).data;
    const created = (await (await fetch(`${base}/rest/api-keys`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'e2e', scopes, expiresAt: null }) })).json()) as { data: { rawApiKey: string } };
    apiKey = created.data.rawApiKey;
  }, 20 * 60_000);

  afterAll(async () => {
    if (n8n && n8n.exitCode === null) {
      n8n.kill('SIGTERM');
      await new Promise((resolve) => n8n!.once('exit', resolve));
    }
    await runtime?.kill('SIGTERM');
    await sim?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('the package loads, and a contact saying "hi" gets "hello Alice" from an active workflow', async () => {
    expect(log).not.toMatch(/problem loading|error loading|failed to load|could not be found/i);
    const credential = await publicApi('POST', '/credentials', { name: 'WhatsApp runtime (e2e)', type: 'whatsAppRuntimeApi', data: { baseUrl: runtime.url, apiKey: ADMIN_KEY } });
    const credentials = { whatsAppRuntimeApi: { id: credential.id, name: credential.name } };
    const workflow = await publicApi('POST', '/workflows', {
      name: 'WhatsApp auto-reply (e2e)',
      settings: { executionOrder: 'v1' },
      nodes: [
        { id: 'a', name: 'WhatsApp Runtime Trigger', type: `${PACKAGE}.whatsAppTrigger`, typeVersion: 2, position: [0, 0], webhookId: '0b6f1c52-4f0e-4c7b-9d1a-7c3e2f1a0b01', parameters: { events: ['message.received'], sessions: ['e2e'], options: {} }, credentials },
        {
          id: 'b',
          name: 'Reply',
          type: `${PACKAGE}.whatsApp`,
          typeVersion: 1,
          position: [240, 0],
          parameters: {
            resource: 'message',
            operation: 'sendText',
            // the defaults: both left empty in list mode, so the incoming item's session and chat are used
            session: { __rl: true, mode: 'list', value: '' },
            chat: { __rl: true, mode: 'list', value: '' },
            text: '=hello {{ $json.pushName }}',
            options: {},
          },
          credentials,
        },
      ],
      connections: { 'WhatsApp Runtime Trigger': { main: [[{ node: 'Reply', type: 'main', index: 0 }]] } },
    });
    await publicApi('POST', `/workflows/${workflow.id}/activate`);
    await until(async () => (await webhooks()).length === 1, 30_000, 200);

    await sim.sendMessage('15550013001', '15550013000', buildMessage.text('hi'));
    const reply = await sim.waitForReceived('15550013001', (m) => m.text === 'hello Alice', 30_000);
    expect(reply.from).toBe('15550013000@s.whatsapp.net');

    await publicApi('POST', `/workflows/${workflow.id}/deactivate`);
    await until(async () => (await webhooks()).length === 0, 30_000, 200);
  }, 120_000);

  test('Send and Wait: the workflow asks with a poll and resumes when the contact replies "yes", then when it votes "Decline"', async () => {
    const credentialId = (await publicApi('POST', '/credentials', { name: 'WhatsApp runtime (approvals)', type: 'whatsAppRuntimeApi', data: { baseUrl: runtime.url, apiKey: ADMIN_KEY } })).id;
    const credentials = { whatsAppRuntimeApi: { id: credentialId, name: 'WhatsApp runtime (approvals)' } };
    const fromTrigger = (field: string) => `={{ $('WhatsApp Runtime Trigger').item.json.${field} }}`;
    const workflow = await publicApi('POST', '/workflows', {
      name: 'WhatsApp approval (e2e)',
      settings: { executionOrder: 'v1' },
      nodes: [
        { id: 'a', name: 'WhatsApp Runtime Trigger', type: `${PACKAGE}.whatsAppTrigger`, typeVersion: 1, position: [0, 0], webhookId: '0b6f1c52-4f0e-4c7b-9d1a-7c3e2f1a0b02', parameters: { events: ['message.received'], sessions: 'e2e', options: { textContains: 'deploy?' } }, credentials },
        {
          id: 'b',
          name: 'Ask',
          type: `${PACKAGE}.whatsApp`,
          typeVersion: 1,
          position: [240, 0],
          webhookId: '0b6f1c52-4f0e-4c7b-9d1a-7c3e2f1a0b03',
          parameters: { resource: 'message', operation: 'sendAndWait', session: { __rl: true, mode: 'id', value: '={{ $json.session }}' }, chat: { __rl: true, mode: 'id', value: '={{ $json.chatId }}' }, message: 'May I deploy?', responseType: 'approval', approvalOptions: {}, options: {} },
          credentials,
        },
        {
          id: 'c',
          name: 'Confirm',
          type: `${PACKAGE}.whatsApp`,
          typeVersion: 1,
          position: [480, 0],
          parameters: { resource: 'message', operation: 'sendText', session: { __rl: true, mode: 'id', value: fromTrigger('session') }, chat: { __rl: true, mode: 'id', value: fromTrigger('chatId') }, text: '=approved: {{ $json.data.approved }}', options: {} },
          credentials,
        },
      ],
      connections: { 'WhatsApp Runtime Trigger': { main: [[{ node: 'Ask', type: 'main', index: 0 }]] }, Ask: { main: [[{ node: 'Confirm', type: 'main', index: 0 }]] } },
    });
    await publicApi('POST', `/workflows/${workflow.id}/activate`);
    await until(async () => (await webhooks()).length === 1, 30_000, 200);

    const isPoll = (m: ReceivedMessage) => (m.message.pollCreationMessageV3 ?? m.message.pollCreationMessage)?.name === 'May I deploy?';
    const explain = (workflowId: string) => async (error: Error) => {
      const executions = await publicApi('GET', `/executions?workflowId=${workflowId}&includeData=true`);
      throw new Error(`${error.message}\n--- executions ---\n${JSON.stringify(executions).slice(0, 3000)}\n--- n8n log ---\n${log.slice(-2000)}`);
    };
    // first question: answered by replying "yes"
    await sim.sendMessage('15550013001', '15550013000', buildMessage.text('deploy?'));
    const first = await sim.waitForReceived('15550013001', isPoll, 30_000);
    expect((first.message.pollCreationMessageV3 ?? first.message.pollCreationMessage)!.options!.map((o) => o.optionName)).toEqual(['Approve', 'Decline']);
    await sim.sendMessage('15550013001', '15550013000', buildMessage.text('yes'));
    const confirmation = await sim.waitForReceived('15550013001', (m) => m.text === 'approved: true', 30_000).catch(explain(workflow.id));
    // second question: answered by tapping "Decline" in the poll
    await sim.sendMessage('15550013001', '15550013000', buildMessage.text('deploy?'));
    const second = await sim.waitForReceived('15550013001', (m) => isPoll(m) && m.id !== first.id, 30_000);
    await sim.votePoll('15550013001', second.id, ['Decline']);
    await sim.waitForReceived('15550013001', (m) => m.text === 'approved: false', 30_000).catch(explain(workflow.id));
    expect(confirmation.from).toBe('15550013000@s.whatsapp.net');
    await publicApi('POST', `/workflows/${workflow.id}/deactivate`);
  }, 120_000);

  test('n8n serves the nodes\' output schemas the editor shows before a run ("Usually outputs the following fields")', async () => {
    const schema = async (path: string) => {
      const response = await fetch(`${base}/schemas/${PACKAGE}.${path}.json`);
      expect(response.status).toBe(200);
      return (await response.json()) as { type: string; properties: Record<string, unknown> };
    };
    expect(Object.keys((await schema('whatsApp/1.0.0/session/create')).properties)).toEqual(expect.arrayContaining(['session', 'status']));
    expect(Object.keys((await schema('whatsApp/1.0.0/message/sendText')).properties)).toEqual(expect.arrayContaining(['id', 'to', 'status']));
    for (const version of ['1.0.0', '2.0.0']) expect(Object.keys((await schema(`whatsAppTrigger/${version}`)).properties)).toEqual(expect.arrayContaining(['event', 'session', 'chatId', 'text']));
  });

  test('in the editor (Chromium): the next node shows the output schema before a run, sessions are picked from the list without the mode toggle, Create → Get QR Code runs with the defaults, and WhatsApp\'s refusal shows the runtime\'s own message', async () => {
    // a group where this number is a member but not an admin: WhatsApp refuses to let it promote anyone
    const group = sim.groups.create(sim.user('15550013001'), 'Bakery', [sim.user('15550013000')]);
    await inTheEditor({ base, cookie, publicApi, runtime: { url: runtime.url, apiKey: ADMIN_KEY }, groupId: `${group.id}@g.us`, sessionLabel: 'e2e (+15550013000)', log: () => log });
    expect(await (await runtime.api('GET', '/sessions/editor')).json()).toMatchObject({ id: 'editor', hasQr: true });
  }, 180_000);

  async function webhooks(): Promise<unknown[]> {
    return ((await (await runtime.api('GET', '/webhooks')).json()) as { webhooks: unknown[] }).webhooks;
  }

  async function json(method: string, path: string, body?: unknown) {
    const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  }

  async function publicApi(method: string, path: string, body?: unknown): Promise<{ id: string; name: string }> {
    const response = await fetch(`${base}/api/v1${path}`, { method, headers: { 'x-n8n-api-key': apiKey, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}\n--- n8n log ---\n${log.slice(-3000)}`);
    return (await response.json()) as { id: string; name: string };
  }
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
