/**
 * End to end inside a real n8n, installed as a user installs it: the n8n package packed and installed the
 * production way (into ~/.n8n/nodes/node_modules), the runtime package packed, installed with npm and run as its own
 * process against the simulator. A workflow WhatsApp Runtime Trigger → WhatsApp Runtime (Send Text) is created and
 * activated through n8n's public API, and a simulated contact's "hi" gets "hello <name>" back. n8n is installed once
 * per machine by install-n8n.sh (about 3 minutes the first time).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import type { ReceivedMessage } from '../../src/runtime/sandbox/users';
import { Simulator } from '../../src/runtime/sandbox/simulator';
import { linkChildSession, startChild, type ChildRuntime } from '../helpers/child-runtime';
import { ADMIN_KEY } from '../helpers/runtime';
import { inTheEditor } from './n8n-editor';
import { until } from '../helpers/until';
import { freePort, installN8n, installNodesPackage, installRuntimePackage, publicApi as harnessApi, setupOwner, startN8n, type N8nInstance, type PublicApi } from '../../scripts/n8n-harness';

const ROOT = join(__dirname, '..', '..');
const BUILT = existsSync(join(ROOT, 'dist', 'nodes', 'WhatsApp', 'WhatsApp.node.js')) && existsSync(join(ROOT, 'packages', 'runtime', 'dist', 'src', 'runtime', 'cli.js'));
if (!BUILT) process.stdout.write('dist/ is missing: the n8n end-to-end test is SKIPPED (run `npm run build` first)\n');
const PACKAGE = 'n8n-nodes-whatsapp-runtime';

(BUILT ? describe : describe.skip)('inside a real n8n', () => {
  let runtime: ChildRuntime;
  let sim: Simulator;
  let n8n: N8nInstance | undefined;
  let base = '';
  let apiKey = '';
  let cookie = '';
  const work = mkdtempSync(join(tmpdir(), 'wa-n8n-e2e-'));
  let log = () => '';
  let publicApi: PublicApi;

  beforeAll(async () => {
    const bin = installN8n();
    const userFolder = join(work, 'home');
    installNodesPackage(userFolder, work);
    // the runtime package packed and installed as a user's npx would, run as its own process against the simulator
    const runtimeCli = installRuntimePackage(work);
    sim = await Simulator.start();
    sim.createUser({ phone: '15550013001', name: 'Alice' });
    runtime = await startChild(sim, join(work, 'runtime-data'), runtimeCli);
    await linkChildSession(runtime, sim, 'e2e', '15550013000');

    n8n = await startN8n({ bin, userFolder, port: await freePort() });
    base = n8n.base;
    log = n8n.log;
    ({ cookie, apiKey } = await setupOwner(base, { email: 'e2e@example.com', firstName: 'E2E', lastName: 'Bot', password: 'E2ePassw0rd!x' }));
    publicApi = harnessApi(base, apiKey, log);
  }, 20 * 60_000);

  afterAll(async () => {
    await n8n?.stop();
    await runtime?.kill('SIGTERM');
    await sim?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('the package loads, and a contact saying "hi" gets "hello Alice" from an active workflow', async () => {
    expect(log()).not.toMatch(/problem loading|error loading|failed to load|could not be found/i);
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
      throw new Error(`${error.message}\n--- executions ---\n${JSON.stringify(executions).slice(0, 3000)}\n--- n8n log ---\n${log().slice(-2000)}`);
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
    await inTheEditor({ base, cookie, publicApi, runtime: { url: runtime.url, apiKey: ADMIN_KEY }, groupId: `${group.id}@g.us`, sessionLabel: 'e2e (+15550013000)', log });
    expect(await (await runtime.api('GET', '/sessions/editor')).json()).toMatchObject({ id: 'editor', hasQr: true });
  }, 180_000);

  async function webhooks(): Promise<unknown[]> {
    return ((await (await runtime.api('GET', '/webhooks')).json()) as { webhooks: unknown[] }).webhooks;
  }
});
