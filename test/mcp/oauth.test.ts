/**
 * OAuth for MCP clients, headless, with the SDK's own client and OAuth machinery against the built-in
 * authorization server: discovery from the 401, dynamic registration, PKCE authorization with the admin's consent
 * (through the endpoints the dashboard's consent view calls), the token, tool calls within the grant, refresh,
 * client revocation (RFC 7009) and revocation of the grant by an admin.
 */
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport, UnauthorizedError, type CallToolResult, type OAuthClientProvider } from '@modelcontextprotocol/client';
import { ADMIN_KEY, linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';

let t: TestRuntime;
const SHOP = 'shop';
const OTHER = 'other';
const CUSTOMER = '15550302000';
const REDIRECT = 'http://127.0.0.1:5599/callback';

beforeAll(async () => {
  t = await startRuntime();
  t.runtime.sandbox!.createUser({ phone: CUSTOMER, name: 'Carla' });
  await linkSession(t, SHOP, '15550301000');
  await linkSession(t, OTHER, '15550303000');
}, 60_000);
afterAll(async () => t?.close());

type Stored = Awaited<ReturnType<OAuthClientProvider['tokens']>>;

/** What an MCP client app keeps: its registration, its tokens and the PKCE verifier of the running flow. */
class AgentApp implements OAuthClientProvider {
  client?: Awaited<ReturnType<OAuthClientProvider['clientInformation']>>;
  saved?: Stored;
  verifier?: string;
  authorizationUrl?: URL;
  discovery?: Parameters<NonNullable<OAuthClientProvider['saveDiscoveryState']>>[0];
  readonly redirectUrl = REDIRECT;
  readonly clientMetadata = { client_name: 'Agent App', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', scope: 'read send' };
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: AgentApp['client']) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: Stored) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier!;
  }
  saveDiscoveryState(state: NonNullable<AgentApp['discovery']>) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
}

/** A browser's cookie jar, enough for the authorization server's interaction and session cookies. */
class Browser {
  private readonly cookies = new Map<string, string>();
  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(url, { headers });
  }
  async request(url: string, init: RequestInit & { headers?: Record<string, string> }): Promise<Response> {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...value] = pair.split('=');
      this.cookies.set(name.trim(), value.join('='));
    }
    return response;
  }
}

/** The admin's side: opens the consent page the client sent the browser to, and answers it. */
async function consent(authorizationUrl: URL, decision: Record<string, unknown>): Promise<URL> {
  const browser = new Browser();
  let response = await browser.get(authorizationUrl.href);
  expect(response.status).toBe(303);
  const consentPage = new URL(response.headers.get('location')!, t.runtime.url);
  expect(consentPage.pathname).toMatch(/^\/oauth\/interaction\/[\w-]+$/);
  const page = await browser.get(consentPage.href);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('/dashboard/app.js');
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  const details = (await (await browser.get(`${consentPage.href}/details`, admin)).json()) as { sessions: { id: string }[] };
  expect(details).toMatchObject({ client: { name: 'Agent App' }, permissions: ['read', 'send'], resource: `${t.runtime.url}/mcp` });
  expect(details.sessions.map((s) => s.id).sort()).toEqual([OTHER, SHOP]);
  const decided = await browser.request(`${consentPage.href}/decision`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(decision) });
  expect(decided.status).toBe(200);
  let next = ((await decided.json()) as { redirectTo: string }).redirectTo;
  for (let hops = 0; hops < 5; hops++) {
    response = await browser.get(next);
    const location = response.headers.get('location');
    if (!location) throw new Error(`no redirect from ${next}: ${response.status} ${await response.text()}`);
    if (location.startsWith(REDIRECT)) return new URL(location);
    next = new URL(location, next).href;
  }
  throw new Error('the authorization never came back to the client');
}

async function connectWith(app: AgentApp): Promise<Client> {
  const client = new Client({ name: 'agent-app', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${t.runtime.url}/mcp`), { authProvider: app }));
  return client;
}

/** The full flow up to a connected client; `decision` is what the admin grants. */
async function authorize(decision: Record<string, unknown>): Promise<{ app: AgentApp; client: Client; callback: URL }> {
  const app = new AgentApp();
  const transport = new StreamableHTTPClientTransport(new URL(`${t.runtime.url}/mcp`), { authProvider: app });
  const first = new Client({ name: 'agent-app', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(app.client?.client_id).toBeTruthy();
  const url = app.authorizationUrl!;
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  expect(url.searchParams.get('resource')).toBe(`${t.runtime.url}/mcp`);
  const callback = await consent(url, decision);
  await transport.finishAuth(callback.searchParams);
  return { app, client: await connectWith(app), callback };
}

test('registration, PKCE and consent for one session and read only: the token reads that session, nothing else', async () => {
  const { app, client, callback } = await authorize({ approve: true, sessions: [SHOP], permissions: ['read'] });
  expect(callback.searchParams.get('iss')).toBe(t.runtime.url);
  expect(app.saved).toMatchObject({ token_type: expect.stringMatching(/bearer/i), refresh_token: expect.any(String) });
  expect(app.saved!.expires_in).toBeLessThanOrEqual(3600);
  const sessions = (await client.callTool({ name: 'list_sessions', arguments: {} })) as CallToolResult;
  expect((sessions.structuredContent as { sessions: { id: string }[] }).sessions.map((s) => s.id)).toEqual([SHOP]);
  const send = (await client.callTool({ name: 'send_text', arguments: { session: SHOP, to: CUSTOMER, text: 'not allowed' } })) as CallToolResult;
  expect(send.structuredContent).toMatchObject({ error: { code: 'missing_permission' } });
  // the same token on the REST API: the grant's scope holds there too
  const rest = await fetch(`${t.runtime.url}/api/v1/sessions/${OTHER}`, { headers: { authorization: `Bearer ${app.saved!.access_token}` } });
  expect(rest.status).toBe(404);
  const me = await (await fetch(`${t.runtime.url}/api/v1/me`, { headers: { authorization: `Bearer ${app.saved!.access_token}` } })).json();
  expect(me).toMatchObject({ permissions: ['read'], sessions: [SHOP] });
  await client.close();
});

test('a grant with send: the agent sends through the runtime, the grant is listed and audited, refresh works, and revocation stops it at once', async () => {
  const { app, client } = await authorize({ approve: true, sessions: '*', permissions: ['read', 'send'] });
  const sent = (await client.callTool({ name: 'send_text', arguments: { session: SHOP, to: CUSTOMER, text: 'Sent by an OAuth agent' } })) as CallToolResult;
  expect(sent.isError).toBeFalsy();
  await until(() => t.runtime.sandbox!.received(CUSTOMER).some((m) => m.text === 'Sent by an OAuth agent'));

  const grants = (await t.api('GET', '/api/v1/oauth/grants')).body.grants as { id: string; clientName: string; sessions: unknown; permissions: string[]; status: string; createdBy: { id: string }; lastUsedAt?: string }[];
  const grant = grants.find((g) => g.sessions === '*')!;
  expect(grant).toMatchObject({ clientName: 'Agent App', permissions: ['read', 'send'], status: 'active', lastUsedAt: expect.any(String) });
  const audit = (await t.api('GET', '/api/v1/audit?limit=200')).body.entries as { action: string; actor: { type: string; id: string }; target?: { id: string } }[];
  expect(audit.some((e) => e.action === 'oauth.grant_created' && e.target?.id === grant.id)).toBe(true);
  expect(audit.some((e) => e.action === 'mcp.tool_called' && e.actor.type === 'grant' && e.actor.id === grant.id)).toBe(true);

  // refresh: a new access token (and a rotated refresh token) for the same grant
  const issuer = t.runtime.url;
  const refreshed = await fetch(`${issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: app.saved!.refresh_token!, client_id: app.client!.client_id }) });
  expect(refreshed.status).toBe(200);
  const tokens = (await refreshed.json()) as { access_token: string; refresh_token: string };
  expect(tokens.access_token).not.toBe(app.saved!.access_token);
  const withRefreshed = await fetch(`${issuer}/api/v1/sessions/${SHOP}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(withRefreshed.status).toBe(200);

  // an event stream opened with the grant's token is closed by the revocation
  const stream = await fetch(`${issuer}/api/v1/events`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(stream.status).toBe(200);
  const streamText = new Response(stream.body).text();

  const revoked = await t.api('DELETE', `/api/v1/oauth/grants/${grant.id}`);
  expect(await streamText).toContain('this credential was revoked');
  expect(revoked.status).toBe(200);
  expect(revoked.body.status).toBe('revoked');
  expect((await fetch(`${issuer}/api/v1/sessions/${SHOP}`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  const mcp = await fetch(`${issuer}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
  expect(mcp.status).toBe(401);
  expect(mcp.headers.get('www-authenticate')).toContain('error="invalid_token"');
  const again = await fetch(`${issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.client!.client_id }) });
  expect(again.status).toBe(400);
  expect((await t.api('GET', '/api/v1/audit?action=oauth.grant_revoked')).body.entries).toHaveLength(1);
  await client.close();
});

test('the client revokes its own token (RFC 7009): the token stops working', async () => {
  const { app, client } = await authorize({ approve: true, sessions: [SHOP], permissions: ['read'] });
  const response = await fetch(`${t.runtime.url}/oauth/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: app.saved!.access_token, client_id: app.client!.client_id }) });
  expect(response.status).toBe(200);
  expect((await fetch(`${t.runtime.url}/api/v1/sessions/${SHOP}`, { headers: { authorization: `Bearer ${app.saved!.access_token}` } })).status).toBe(401);
  await client.close();
});

test('the admin declines: the client gets access_denied and no grant exists', async () => {
  const before = (await t.api('GET', '/api/v1/oauth/grants')).body.grants.length;
  const app = new AgentApp();
  const first = new Client({ name: 'agent-app', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await expect(first.connect(new StreamableHTTPClientTransport(new URL(`${t.runtime.url}/mcp`), { authProvider: app }))).rejects.toBeInstanceOf(UnauthorizedError);
  const callback = await consent(app.authorizationUrl!, { approve: false });
  expect(callback.searchParams.get('error')).toBe('access_denied');
  expect((await t.api('GET', '/api/v1/oauth/grants')).body.grants).toHaveLength(before);
});

test('bad consent input is a 4xx naming the field; the consent endpoints need an admin key; a token for another resource is refused', async () => {
  const app = new AgentApp();
  const first = new Client({ name: 'agent-app', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await expect(first.connect(new StreamableHTTPClientTransport(new URL(`${t.runtime.url}/mcp`), { authProvider: app }))).rejects.toBeInstanceOf(UnauthorizedError);
  const browser = new Browser();
  const consentPage = new URL((await browser.get(app.authorizationUrl!.href)).headers.get('location')!, t.runtime.url).href;
  const reader = (await t.api('POST', '/api/v1/keys', { name: 'reader', permissions: ['read'], sessions: '*' })).body.key as string;
  expect((await browser.get(`${consentPage}/details`, { authorization: `Bearer ${reader}` })).status).toBe(403);
  expect((await browser.get(`${consentPage}/details`)).status).toBe(401);
  const post = (body: unknown) => browser.request(`${consentPage}/decision`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const noPermissions = await post({ approve: true, sessions: [SHOP], permissions: [] });
  expect(noPermissions.status).toBe(400);
  expect(((await noPermissions.json()) as { error: { details: unknown } }).error.details).toEqual({ field: 'permissions' });
  const admin = await post({ approve: true, sessions: [SHOP], permissions: ['admin'] });
  expect(admin.status).toBe(400);
  const unknownSession = await post({ approve: true, sessions: ['nope'], permissions: ['read'] });
  expect(unknownSession.status).toBe(404);
  expect((await browser.get(`${t.runtime.url}/oauth/interaction/unknown-uid/details`, { authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(404);

  const wrongResource = new URL(app.authorizationUrl!.href);
  wrongResource.searchParams.set('resource', 'https://elsewhere.example/mcp');
  const refused = await new Browser().get(wrongResource.href);
  expect(refused.status).toBe(303);
  expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('invalid_target');
});

test('deleting the only session of a grant revokes the grant and its tokens', async () => {
  const { app, client } = await authorize({ approve: true, sessions: [OTHER], permissions: ['read'] });
  expect((await fetch(`${t.runtime.url}/api/v1/sessions/${OTHER}`, { headers: { authorization: `Bearer ${app.saved!.access_token}` } })).status).toBe(200);
  expect((await t.api('DELETE', `/api/v1/sessions/${OTHER}`)).status).toBe(204);
  const grants = (await t.api('GET', '/api/v1/oauth/grants')).body.grants as { clientId: string; status: string; sessions: string[] }[];
  expect(grants.find((g) => g.clientId === app.client!.client_id)).toMatchObject({ status: 'revoked', sessions: [] });
  expect((await fetch(`${t.runtime.url}/api/v1/me`, { headers: { authorization: `Bearer ${app.saved!.access_token}` } })).status).toBe(401);
  await client.close();
});

test('a Client ID Metadata Document is fetched through the URL guard: one on a private address is never even connected to', async () => {
  let connections = 0;
  const listener = createNetServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  try {
    const clientId = `https://127.0.0.1:${(listener.address() as AddressInfo).port}/agent/client.json`;
    const authorize = new URL(`${t.runtime.url}/oauth/authorize`);
    for (const [name, value] of Object.entries({ client_id: clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'read', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })) authorize.searchParams.set(name, value);
    const response = await fetch(authorize, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(connections).toBe(0);
  } finally {
    listener.close();
  }
});
