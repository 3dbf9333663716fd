/**
 * An external identity provider instead of the built-in authorization server: JWT access tokens signed by the
 * provider's key are checked against its JWKS (served here on loopback), its issuer and the MCP resource as
 * audience; permissions come from `scope`, sessions from the `whatsapp_sessions` claim. The JWKS is fetched through
 * the outbound-URL guard: on loopback it is only reached when the setting allows private networks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
const ISSUER = 'https://idp.example.test/realms/agents';

let jose: Jose;
let jwks: Server;
let jwksUrl: string;
let privateKey: Awaited<ReturnType<Jose['generateKeyPair']>>['privateKey'];
let t: TestRuntime;

beforeAll(async () => {
  jose = (await import('jose')) as Jose;
  const pair = await jose.generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const publicJwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
  t = await startRuntime({ oauth: 'external', oauthIssuer: ISSUER, oauthJwksUrl: jwksUrl, oauthAllowPrivateNetworks: true });
  await linkSession(t, 'shop', '15550401000');
  await linkSession(t, 'other', '15550402000');
}, 60_000);
afterAll(async () => {
  await t?.close();
  jwks?.close();
});

async function token(claims: Record<string, unknown>, options: { audience?: string; issuer?: string; expiresIn?: string } = {}): Promise<string> {
  return new jose.SignJWT({ scope: 'read', whatsapp_sessions: ['shop'], client_id: 'agent-1', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? `${t.runtime.url}/mcp`)
    .setSubject('agent-1')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(privateKey);
}

async function status(bearer: string, path = '/api/v1/sessions/shop'): Promise<number> {
  return (await fetch(`${t.runtime.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } })).status;
}

test('a valid token works on MCP and REST within its scope and sessions', async () => {
  const bearer = await token({});
  const client = new Client({ name: 'idp-agent', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${t.runtime.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
  const sessions = (await client.callTool({ name: 'list_sessions', arguments: {} })) as CallToolResult;
  expect((sessions.structuredContent as { sessions: { id: string }[] }).sessions.map((s) => s.id)).toEqual(['shop']);
  const send = (await client.callTool({ name: 'send_text', arguments: { session: 'shop', to: '15550403000', text: 'no' } })) as CallToolResult;
  expect(send.structuredContent).toMatchObject({ error: { code: 'missing_permission' } });
  await client.close();
  expect(await status(bearer)).toBe(200);
  expect(await status(bearer, '/api/v1/sessions/other')).toBe(404);
  const metadata = await (await fetch(`${t.runtime.url}/.well-known/oauth-protected-resource/mcp`)).json();
  expect(metadata).toMatchObject({ authorization_servers: [ISSUER] });
  // no built-in authorization server: its discovery document is not served
  expect((await fetch(`${t.runtime.url}/.well-known/oauth-authorization-server`)).status).not.toBe(200);
});

test('refused: another audience, another issuer, expired, a foreign signature; a token without the sessions claim sees none', async () => {
  expect(await status(await token({}, { audience: 'https://other.example/mcp' }))).toBe(401);
  expect(await status(await token({}, { issuer: 'https://evil.example' }))).toBe(401);
  expect(await status(await token({}, { expiresIn: '-1m' }))).toBe(401);
  const stranger = await jose.generateKeyPair('ES256');
  const forged = await new jose.SignJWT({ scope: 'read', whatsapp_sessions: '*' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(ISSUER).setAudience(`${t.runtime.url}/mcp`).setExpirationTime('5m').sign(stranger.privateKey);
  expect(await status(forged)).toBe(401);
  // an undefined claim is left out of the JWT
  const unscoped = await token({ whatsapp_sessions: undefined });
  const listed = await (await fetch(`${t.runtime.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${unscoped}` } })).json();
  expect(listed).toEqual({ sessions: [] });
});

test('the JWKS on loopback is not fetched unless private networks are allowed (the outbound-URL guard)', async () => {
  const guarded = await startRuntime({ oauth: 'external', oauthIssuer: ISSUER, oauthJwksUrl: jwksUrl });
  try {
    const bearer = await new jose.SignJWT({ scope: 'read', whatsapp_sessions: '*' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(ISSUER).setAudience(`${guarded.runtime.url}/mcp`).setExpirationTime('5m').sign(privateKey);
    expect((await fetch(`${guarded.runtime.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(401);
  } finally {
    await guarded.close();
  }
});
