/**
 * The WhatsApp nodes in n8n's own editor, as a user meets them, in Chromium: the steps of issue #22's check, each
 * with a screenshot in test-results/n8n-editor/ (look at them when the editor changes; they are not committed).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { selectors, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { until } from '../helpers/until';

const PACKAGE = 'n8n-nodes-whatsapp-runtime';
const SHOTS = join(__dirname, '..', '..', 'test-results', 'n8n-editor');

export interface EditorCheck {
  base: string;
  cookie: string;
  publicApi(method: string, path: string, body?: unknown): Promise<{ id: string; name: string }>;
  runtime: { url: string; apiKey: string };
  /** A group the linked number is in without being an admin. */
  groupId: string;
  /** How the linked session shows in the session list. */
  sessionLabel: string;
  log(): string;
}

interface Execution {
  status: string;
  data?: { resultData: { runData: Record<string, { data?: { main: { binary?: Record<string, { mimeType: string }> }[][] } }[]> } };
}

export async function inTheEditor(check: EditorCheck): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  selectors.setTestIdAttribute('data-test-id');
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies(check.cookie.split('; ').map((pair) => ({ name: pair.split('=')[0], value: pair.slice(pair.indexOf('=') + 1), url: check.base })));
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  let step = 0;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${++step}-${name}.png`) });
  try {
    const credential = await check.publicApi('POST', '/credentials', { name: 'WhatsApp runtime (editor)', type: 'whatsAppRuntimeApi', data: { baseUrl: check.runtime.url, apiKey: check.runtime.apiKey } });
    const credentials = { whatsAppRuntimeApi: { id: credential.id, name: credential.name } };
    const whatsApp = (id: string, name: string, x: number, parameters: Record<string, unknown>) => ({ id, name, type: `${PACKAGE}.whatsApp`, typeVersion: 1, position: [x, 0], parameters, credentials });
    const start = { id: 's', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };

    // Create → Get QR Code, the second node with nothing but its resource and operation set
    const linking = await check.publicApi('POST', '/workflows', {
      name: 'Link a number (editor)',
      settings: { executionOrder: 'v1' },
      nodes: [start, whatsApp('a', 'Create Session', 240, { resource: 'session', operation: 'create', sessionId: 'editor' }), whatsApp('b', 'Get QR Code', 480, { resource: 'session', operation: 'getQr' })],
      connections: { Start: { main: [[{ node: 'Create Session', type: 'main', index: 0 }]] }, 'Create Session': { main: [[{ node: 'Get QR Code', type: 'main', index: 0 }]] } },
    });
    await openNode(page, check.base, linking.id, 'Get QR Code');
    const input = page.getByTestId('ndv-input-panel');
    await input.getByText('Usually outputs the following fields').waitFor();
    for (const field of ['session', 'status', 'hasQr']) await input.getByText(field, { exact: true }).first().waitFor();
    await shot('output-schema-before-a-run');
    await page.getByTestId('rlc-input').first().click();
    await page.getByTestId('rlc-item').filter({ hasText: check.sessionLabel }).waitFor();
    await shot('session-list-without-the-mode-toggle');
    // the first Escape closes the list, the second the node
    await page.keyboard.press('Escape');
    await page.getByTestId('rlc-item').first().waitFor({ state: 'hidden' });
    await page.keyboard.press('Escape');
    await input.waitFor({ state: 'hidden' });
    await page.getByTestId('execute-workflow-button').click();
    await page.getByText('Workflow executed successfully').waitFor();
    await shot('create-then-get-qr-with-defaults');
    const runs = async () => ((await check.publicApi('GET', `/executions?workflowId=${linking.id}&includeData=true`)) as unknown as { data: Execution[] }).data;
    await until(async () => (await runs()).length > 0, 20_000, 200);
    const [run] = await runs();
    if (run.status !== 'success') throw new Error(`the run ended ${run.status}`);
    const qr = run.data!.resultData.runData['Get QR Code'][0].data!.main[0][0].binary?.data;
    if (qr?.mimeType !== 'image/png') throw new Error(`Get QR Code output no PNG: ${JSON.stringify(qr)}`);

    // WhatsApp refuses (403): the error panel shows the runtime's words, its code and the HTTP status
    const promoting = await check.publicApi('POST', '/workflows', {
      name: 'Promote (editor)',
      settings: { executionOrder: 'v1' },
      nodes: [start, whatsApp('p', 'Promote', 240, { resource: 'group', operation: 'updateParticipants', group: { __rl: true, mode: 'id', value: check.groupId }, action: 'promote', participants: '+15550013001' })],
      connections: { Start: { main: [[{ node: 'Promote', type: 'main', index: 0 }]] } },
    });
    await openNode(page, check.base, promoting.id, 'Promote');
    await page.getByTestId('rlc-input').first().click();
    await page.getByTestId('rlc-item').filter({ hasText: check.sessionLabel }).click();
    await page.getByTestId('node-execute-button').click();
    const message = await page.getByTestId('node-error-message').innerText();
    const description = await page.getByTestId('node-error-description').innerText();
    await shot('whatsapp-refusal-in-the-error-panel');
    if (!/WhatsApp refused to promote participants/.test(message) || !/HTTP 403/.test(description)) throw new Error(`the error panel says "${message}" / "${description}"`);
  } catch (error) {
    await shot('failed').catch(() => undefined);
    throw new Error(`${(error as Error).message}\n(screenshots in ${SHOTS})\n--- n8n log ---\n${check.log().slice(-2000)}`);
  } finally {
    await browser.close();
  }
}

async function openNode(page: Page, base: string, workflowId: string, node: string): Promise<void> {
  await page.goto(`${base}/workflow/${workflowId}`);
  // the first visit builds the editor's caches: give it longer
  await page.getByTestId('canvas-node').filter({ hasText: node }).dblclick({ timeout: 60_000 });
  await page.getByTestId('ndv-input-panel').waitFor();
}
