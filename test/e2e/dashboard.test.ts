/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a runtime in sandbox mode:
 * sign-in, linking by QR and by pairing code with pushed status, webhooks with their delivery log and dead-letter
 * replay, the outbound queue and campaigns, the sandbox chat, API keys, the audit log, usage, and what a key with fewer
 * permissions sees.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { Receiver } from '../helpers/receiver';
import { until } from '../helpers/until';
import { ADMIN_KEY, scanSessionQr, startRuntime, type TestRuntime } from '../helpers/runtime';


describe('dashboard in a real browser', () => {
  let t: TestRuntime;
  let browser: Browser;
  let page: Page;
  let receiver: Receiver;
  const dialogs: string[] = [];
  const pageLog: string[] = [];

  beforeAll(async () => {
    t = await startRuntime({ webhookMaxAttempts: 1 });
    receiver = await Receiver.start();
    browser = await launchChromium();
    page = await browser.newPage();
    // a step that does not happen fails the test at that step, with what the page logged
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageLog.push(`error: ${error.message}`));
    // refused requests (4xx the page shows itself) are expected here; anything else the page logs is printed
    page.on('console', (message) => void (/Failed to load resource/.test(message.text()) || pageLog.push(`${message.type()}: ${message.text()}`)));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
  }, 60_000);
  afterEach(() => {
    if (pageLog.length) process.stdout.write(`page log:\n${pageLog.splice(0).join('\n')}\n`);
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.close();
  });

  test('sign-in: a wrong key is refused; the right one opens the dashboard, kept for this tab only, with live updates', async () => {
    await page.goto(t.runtime.url);
    await page.getByTestId('api-key').fill('wrong-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused' }).waitFor();
    await page.getByTestId('api-key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('view-sessions').waitFor();
    await page.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    expect(await page.evaluate(() => [Object.keys(sessionStorage).length, localStorage.length])).toEqual([1, 0]);
    for (const view of ['keys', 'audit', 'usage', 'webhooks', 'sandbox']) expect(await page.getByTestId(`nav-${view}`).isVisible()).toBe(true);
  });

  test('linking by QR: the live QR is shown, re-rendered when it rotates, and the number appears once linked', async () => {
    await page.getByTestId('new-session').fill('shop');
    await page.getByRole('button', { name: 'Create and link' }).click();
    const qr = page.getByTestId('qr');
    await qr.waitFor();
    const first = await qr.getAttribute('src');
    // a new QR (here: the session restarted) replaces the shown one without a reload
    await t.api('POST', '/api/v1/sessions/shop/restart');
    await until(async () => (await qr.getAttribute('src')) !== first, 10_000, 50);
    await scanSessionQr(t, t.runtime.sandbox!, 'shop', '15550051000');
    const row = page.locator('tr[data-session="shop"]');
    await row.getByTestId('status').filter({ hasText: 'connected' }).waitFor();
    await row.getByTestId('number').filter({ hasText: '+15550051000' }).waitFor();
    expect(await page.getByTestId('link-panel').count()).toBe(0);
  });

  test('sandbox: "Scan with a simulated phone" links the session from the QR panel alone', async () => {
    await page.getByTestId('new-session').fill('demo');
    await page.getByRole('button', { name: 'Create and link' }).click();
    await page.getByTestId('qr').waitFor();
    await page.getByTestId('simulated-phone').fill('+1 555 005 3000');
    await page.getByRole('button', { name: 'Scan with a simulated phone' }).click();
    const row = page.locator('tr[data-session="demo"]');
    await row.getByTestId('status').filter({ hasText: 'connected' }).waitFor();
    await row.getByTestId('number').filter({ hasText: '+15550053000' }).waitFor();
    expect(t.runtime.sandbox!.user('15550053000').devices.size).toBe(1);
  });

  test('linking by pairing code, and stopping a session after confirming', async () => {
    await page.getByTestId('new-session').fill('desk');
    await page.getByRole('button', { name: 'Create and link' }).click();
    // a refused request says why, and the message stays while pushed updates re-render the page
    await page.getByTestId('pairing-phone').fill('12');
    await page.getByRole('button', { name: 'Get pairing code' }).click();
    await page.getByRole('alert').filter({ hasText: 'not a phone number' }).waitFor();
    await page.getByTestId('pairing-phone').fill('+1 555 005 2000');
    await page.getByRole('button', { name: 'Get pairing code' }).click();
    const code = (await page.getByTestId('pairing-code').locator('strong').textContent())!;
    await t.runtime.sandbox!.enterPairingCode('15550052000', code);
    const row = page.locator('tr[data-session="desk"]');
    await row.getByTestId('status').filter({ hasText: 'connected' }).waitFor();
    await row.getByRole('button', { name: 'Stop' }).click();
    await row.getByTestId('status').filter({ hasText: 'stopped' }).waitFor();
    expect(dialogs.at(-1)).toContain('Stop "desk"');
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    expect(dialogs.at(-1)).toContain('Delete "desk"');
    expect((await t.api('GET', '/api/v1/sessions/desk')).status).toBe(404);
  });

  test('webhooks: add, send a test event and see it delivered; a dead letter is replayed once the receiver is back', async () => {
    await page.getByTestId('nav-webhooks').click();
    await page.getByTestId('webhook-url').fill(receiver.url);
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByTestId('secret').waitFor();
    const row = page.locator('tr[data-webhook]');
    await row.getByTestId('send-test').click();
    await receiver.waitFor((r) => r.some((x) => x.json.type === 'webhook.test'));
    await page.getByRole('button', { name: 'refresh' }).click();
    const delivered = page.getByTestId('deliveries').locator('tr[data-event]').first();
    await delivered.getByTestId('status').filter({ hasText: 'delivered' }).waitFor();
    expect(await delivered.textContent()).toContain('HTTP 200');

    receiver.respond = () => 500;
    await row.getByTestId('send-test').click();
    await receiver.waitFor((r) => r.some((x) => x.status === 500));
    await page.getByRole('button', { name: 'refresh' }).click();
    await page.getByTestId('dead-letters').locator('tr[data-event]').first().waitFor();
    receiver.respond = () => 200;
    await page.getByTestId('replay-all').click();
    await receiver.waitFor((r) => r.filter((x) => x.json.type === 'webhook.test' && x.status === 200).length >= 2);
    await page.getByRole('button', { name: 'refresh' }).click();
    await page.getByText('None: every event was delivered').waitFor();
    // the refresh clicked above may still be rendering: the form is used once the view is settled
    await page.locator('section.view:not([aria-busy])').waitFor();

    const edit = page.getByTestId('webhook-detail').locator('form');
    await edit.locator('input[name="events"]').fill('message.*, session.status');
    const [saved] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().includes('/api/v1/webhooks/')), edit.getByRole('button', { name: 'Save' }).click()]);
    expect([saved.status(), await saved.text()]).toEqual([200, expect.stringContaining('session.status')]);
    await row.filter({ hasText: 'message.*, session.status' }).waitFor();
    expect((await t.api('GET', '/api/v1/webhooks')).body.webhooks[0].events).toEqual(['message.*', 'session.status']);

    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByTestId('status').filter({ hasText: 'disabled' }).waitFor();
    expect((await t.api('GET', '/api/v1/webhooks')).body.webhooks[0].enabled).toBe(false);
  });

  test('outbound: queue depth and a campaign with progress, paused and cancelled from the page', async () => {
    t.runtime.sandbox!.createUser({ phone: '15550053001', name: 'Ida' });
    t.runtime.sandbox!.createUser({ phone: '15550053002', name: 'Jon' });
    await t.api('PATCH', '/api/v1/sessions/shop/outbound/settings', { minGapMs: 3_600_000, maxGapMs: 3_600_000 });
    await t.api('POST', '/api/v1/sessions/shop/messages/text', { to: '15550053001', text: 'tomorrow', sendAt: new Date(Date.now() + 86_400_000).toISOString() });
    const campaign = await t.api('POST', '/api/v1/sessions/shop/campaigns', { name: 'Autumn', template: { kind: 'text', text: 'Hi {{name}}' }, recipients: [{ to: '15550053001', variables: { name: 'Ida' } }, { to: '15550053002', variables: { name: 'Jon' } }] });
    expect(campaign.status).toBe(201);
    await page.getByTestId('nav-outbound').click();
    const card = page.locator('[data-outbound="shop"]');
    await card.getByTestId('depth-interactive').filter({ hasText: '1' }).waitFor();
    const row = card.locator(`tr[data-campaign="${campaign.body.campaign.id}"]`);
    // the first recipient goes at once, the second waits for the hour-long gap
    await row.getByTestId('counts').filter({ hasText: /(sent|delivered|read) 1/ }).waitFor();
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.getByTestId('status').filter({ hasText: 'paused' }).waitFor();
    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.getByTestId('status').filter({ hasText: 'cancelled' }).waitFor();
    expect((await t.api('GET', `/api/v1/sessions/shop/campaigns/${campaign.body.campaign.id}`)).body.counts).toMatchObject({ sent: expect.any(Number), cancelled: 1 });
  });

  test('sandbox: write as a simulated contact and see the account answer in the chat', async () => {
    await page.getByTestId('nav-sandbox').click();
    await page.getByTestId('contact-phone').fill('+1 555 005 4001');
    await page.getByTestId('contact-name').fill('Kai');
    await page.getByRole('button', { name: 'Add simulated contact' }).click();
    await page.locator('[data-testid="chat-contact"] option[value="15550054001"]').waitFor({ state: 'attached' });
    await page.getByTestId('chat-session').selectOption('shop');
    await page.getByTestId('chat-contact').selectOption('15550054001');
    await page.getByTestId('chat-text').fill('hi there');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByTestId('chat').locator('[data-from="contact"]').filter({ hasText: 'hi there' }).waitFor();
    await t.api('POST', '/api/v1/sessions/shop/messages/text', { to: '15550054001', text: 'hello Kai' });
    await page.getByTestId('chat').locator('[data-from="account"]').filter({ hasText: 'hello Kai' }).waitFor();
  });

  test('API keys: create one with scopes, shown once with a copy button; revoke it after confirming', async () => {
    await page.getByTestId('nav-keys').click();
    await page.getByTestId('key-name').fill('shop reader');
    await page.getByTestId('key-sessions').fill('shop');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-key');
    const key = (await shown.locator('code').textContent())!;
    expect(key).toMatch(/^wa_test_/);
    await shown.getByRole('button', { name: 'Copy' }).waitFor();
    const row = page.locator('[data-testid="keys"] tr', { hasText: 'shop reader' });
    await row.getByTestId('status').filter({ hasText: 'active' }).waitFor();
    expect(await row.textContent()).toContain('read');
    expect(await row.textContent()).not.toContain(key);
    // the key works, limited to what it holds; then it is revoked from the page
    const listed = (await fetch(`${t.runtime.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json())) as { sessions: { id: string }[] };
    expect(listed.sessions.map((s) => s.id)).toEqual(['shop']);
    await row.getByTestId('revoke').click();
    await row.getByTestId('status').filter({ hasText: 'revoked' }).waitFor();
    expect(dialogs.at(-1)).toContain('Revoke the key "shop reader"');
    expect((await fetch(`${t.runtime.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });

  test('audit log: filtered to key actions, it shows the creation and the revocation by the admin key', async () => {
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-action').fill('key.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    // the unfiltered list shows first: wait for the filtered one to replace it
    const shown = () => page.getByTestId('audit-entry-action').allTextContents();
    await until(async () => {
      const actions = await shown();
      return actions.length > 0 && actions.every((a) => a.startsWith('key.'));
    }, 10_000, 50).catch(async () => {
      throw new Error(`the audit list shows ${JSON.stringify(await shown())}`);
    });
    expect((await shown()).slice(0, 2)).toEqual(['key.revoked', 'key.created']);
  });

  test('usage: messages per day per session as a chart, totals and what is kept', async () => {
    await page.getByTestId('nav-usage').click();
    const bar = page.locator('[data-testid="usage-chart"] rect[data-session="shop"]');
    await bar.first().waitFor();
    expect(Number(await bar.first().getAttribute('data-count'))).toBeGreaterThan(0);
    expect(await page.getByTestId('retention').textContent()).toContain('30 days');
    expect(await page.getByTestId('usage-totals').textContent()).toMatch(/API calls\d+/);
  });

  test('home page: sessions up, messages this minute, failed deliveries and the oldest pending event', async () => {
    await page.getByTestId('nav-sessions').click();
    const sessions = await page.getByTestId('figure-sessions').textContent();
    const [connected, total] = /(\d+) \/ (\d+)/.exec(sessions!)!.slice(1).map(Number);
    const listed = (await t.api('GET', '/api/v1/sessions')).body.sessions as { status: string }[];
    expect([connected, total]).toEqual([listed.filter((s) => s.status === 'connected').length, listed.length]);
    // the figure follows the traffic: after a send it shows what the runtime counts (the count restarts each minute)
    await t.api('POST', '/api/v1/sessions/shop/messages/text', { to: '15550054001', text: 'counted on the home page' });
    await until(async () => (await page.getByTestId('figure-messages').locator('strong').textContent()) === String((await t.api('GET', '/api/v1/overview')).body.messagesThisMinute));
    await page.getByTestId('figure-failures').waitFor();
    await page.getByTestId('figure-pending').waitFor();
  });

  test('contacts: create a list, import a CSV through the preview and mapping with live progress, search members; a STOP shows under opt-outs', async () => {
    const sim = t.runtime.sandbox!;
    sim.createUser({ phone: '12025550131', name: 'Kim' });
    await page.getByTestId('nav-audiences').click();
    await page.getByTestId('audience-session').selectOption('shop');
    await page.getByTestId('list-name').fill('Newsletter');
    await page.getByTestId('list-form').getByRole('button', { name: 'Create list' }).click();
    await page.getByTestId('list-detail').getByRole('heading', { name: /Newsletter/ }).waitFor();
    const csv = 'Telefone;Nome;Cidade\r\n+1 202 555 0131;Kim;Lisboa\r\n+1 202 555 0132;Lee;Porto\r\nabc;Bad;Nowhere\r\n';
    await page.getByTestId('import-file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'latin1') });
    await page.getByTestId('import-upload').getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('import-mapping').filter({ hasText: 'separated by ";"' }).waitFor();
    await page.getByTestId('import-sample').filter({ hasText: 'Lisboa' }).waitFor();
    expect(await page.getByTestId('map-phone').inputValue()).toBe('Telefone');
    expect(await page.getByTestId('map-name').inputValue()).toBe('Nome');
    await page.getByTestId('field-Cidade').fill('city');
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-progress').filter({ hasText: 'completed' }).filter({ hasText: '2 new' }).filter({ hasText: '1 skipped' }).waitFor();
    await page.getByTestId('import-report').waitFor();
    await page.getByTestId('members').locator('[data-contact="+12025550131"]').filter({ hasText: 'Lisboa' }).waitFor();
    await page.getByTestId('lists').locator('[data-testid="list-size"]').filter({ hasText: '2' }).waitFor();
    await page.getByTestId('member-search').fill('Lee');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('members').locator('[data-contact="+12025550131"]').waitFor({ state: 'detached' });
    expect(await page.getByTestId('members').locator('[data-contact="+12025550132"]').count()).toBe(1);
    await sim.sendMessage('12025550131', '15550051000', buildMessage.text('STOP'));
    await page.getByTestId('opt-outs').filter({ hasText: '+12025550131' }).filter({ hasText: 'wrote "stop"' }).waitFor();
  });

  test('OAuth consent: a client sends the admin to the dashboard, who grants one session read-only; the grant is listed under AI agents and revoked there', async () => {
    // the client app: a real page on loopback that the browser returns to
    let callback: URL | undefined;
    const client = createServer((request, response) => {
      // the browser asks for /favicon.ico after the callback page: only the callback counts
      const url = new URL(request.url!, 'http://127.0.0.1');
      if (url.pathname === '/callback') callback = url;
      response.writeHead(200, { 'content-type': 'text/plain' }).end('back at the client');
    });
    await new Promise<void>((resolve) => client.listen(0, '127.0.0.1', resolve));
    const redirect = `http://127.0.0.1:${(client.address() as AddressInfo).port}/callback`;
    const registered = await (await fetch(`${t.runtime.url}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Browser Agent', redirect_uris: [redirect], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }) })).json() as { client_id: string };
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = new URL(`${t.runtime.url}/oauth/authorize`);
    for (const [name, value] of Object.entries({ client_id: registered.client_id, response_type: 'code', redirect_uri: redirect, scope: 'read send', code_challenge: challenge, code_challenge_method: 'S256', state: 'xyz', resource: `${t.runtime.url}/mcp` })) authorize.searchParams.set(name, value);
    await page.goto(authorize.href);
    const consent = page.getByTestId('consent');
    await consent.getByRole('heading', { name: 'Browser Agent asks to use WhatsApp' }).waitFor();
    expect(await page.getByTestId('consent-permission-read').isChecked()).toBe(true);
    await page.getByTestId('consent-permission-send').uncheck();
    await page.getByTestId('consent-session-shop').check();
    await page.getByTestId('consent-approve').click();
    await page.waitForURL((url) => url.href.startsWith(redirect));
    client.close();
    expect(callback!.searchParams.get('state')).toBe('xyz');
    const token = await (await fetch(`${t.runtime.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: callback!.searchParams.get('code')!, code_verifier: verifier, redirect_uri: redirect, client_id: registered.client_id, resource: `${t.runtime.url}/mcp` }) })).json() as { access_token: string };
    const me = await (await fetch(`${t.runtime.url}/api/v1/me`, { headers: { authorization: `Bearer ${token.access_token}` } })).json();
    expect(me).toMatchObject({ permissions: ['read'], sessions: ['shop'] });

    await page.goto(t.runtime.url);
    await page.getByTestId('nav-agents').click();
    await page.getByTestId('mcp-endpoints').filter({ hasText: `${t.runtime.url}/mcp/key` }).waitFor();
    const row = page.getByTestId('grants').locator('tr', { hasText: 'Browser Agent' });
    await row.filter({ hasText: 'shop' }).filter({ hasText: 'read' }).waitFor();
    await row.getByTestId('revoke-grant').click();
    await row.getByTestId('status').filter({ hasText: 'revoked' }).waitFor();
    expect((await fetch(`${t.runtime.url}/api/v1/me`, { headers: { authorization: `Bearer ${token.access_token}` } })).status).toBe(401);
  });

  test('a key with read only sees only what it may use: no keys, audit, usage or webhooks, no lifecycle buttons', async () => {
    const reader = (await t.api('POST', '/api/v1/keys', { name: 'viewer', permissions: ['read'], sessions: '*' })).body.key;
    const other = await browser.newPage();
    try {
      await other.goto(t.runtime.url);
      await other.getByTestId('api-key').fill(reader);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.getByTestId('view-sessions').locator('[data-session="shop"]').waitFor();
      for (const view of ['keys', 'audit', 'usage', 'webhooks', 'sandbox', 'cluster']) expect(await other.getByTestId(`nav-${view}`).count()).toBe(0);
      expect(await other.getByTestId('new-session').count()).toBe(0);
      expect(await other.locator('[data-session="shop"] button').count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  test('cluster: a runtime on its own says that cluster mode is off', async () => {
    await page.getByTestId('nav-cluster').click();
    await page.getByTestId('cluster-off').waitFor();
  });

  test('no view prints a literal undefined or false', async () => {
    for (const view of ['sessions', 'webhooks', 'outbound', 'sandbox', 'keys', 'audit', 'usage', 'cluster']) {
      await page.getByTestId(`nav-${view}`).click();
      await page.getByTestId(`view-${view}`).locator('h2').first().waitFor();
      const text = await page.getByTestId(`view-${view}`).innerText();
      const texts = text.split('\n').filter((line) => /^(undefined|false|null)$/.test(line.trim()) || /\bundefined\b/.test(line));
      expect([view, texts]).toEqual([view, []]);
    }
  });

  test('the page is served with a strict content policy and without a key; the API behind it still needs one', async () => {
    const response = await fetch(t.runtime.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect((await fetch(`${t.runtime.url}/dashboard/app.js`)).status).toBe(200);
    expect((await fetch(`${t.runtime.url}/api/v1/sessions`)).status).toBe(401);
  });
});
