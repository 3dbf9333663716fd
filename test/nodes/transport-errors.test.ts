/**
 * The runtime's own error reaches the n8n user for every status class: n8n's request helper wraps the HTTP error
 * in a NodeApiError with its generic text ("The resource you are requesting could not be found"), and the node
 * turns it back into the runtime's message, code, HTTP status and a hint.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeApiError } from 'n8n-workflow';
import { runtimeRequest } from '../../nodes/WhatsApp/transport';
import { makeExecuteContext } from '../helpers/n8n-context';

let server: Server;
let baseUrl: string;
const answers: Record<string, [number, unknown]> = {
  '/api/v1/missing': [404, { error: { code: 'session_not_found', message: 'Session "sales" does not exist' } }],
  '/api/v1/linked': [409, { error: { code: 'session_already_linked', message: 'Session "sales" is already linked to +15550100000' } }],
  '/api/v1/forbidden': [403, { error: { code: 'not_allowed', message: 'WhatsApp refused to promote participants: not allowed' } }],
  '/api/v1/offline': [409, { error: { code: 'session_not_connected', message: 'Session "sales" is not connected (status: qr)' } }],
  '/api/v1/limited': [429, { error: { code: 'rate_limited', message: 'WhatsApp is rate-limiting this number' } }],
  '/api/v1/broken': [500, { error: { code: 'internal_error', message: 'Internal error' } }],
  '/api/v1/scope': [403, { error: { code: 'missing_permission', message: 'This API key lacks the "send" permission', details: { permission: 'send' } } }],
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const [status, body] = answers[req.url ?? ''] ?? [404, { error: { code: 'not_found', message: 'no such route' } }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

async function failure(path: string, options: { binary?: boolean } = {}): Promise<NodeApiError> {
  const { context } = makeExecuteContext({ parameters: {}, credentials: { baseUrl, apiKey: 'k' } });
  const error = await runtimeRequest.call(context, 'GET', path.replace('/api/v1', ''), { itemIndex: 3, ...options }).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(NodeApiError);
  return error as NodeApiError;
}

test.each([
  ['/api/v1/missing', '404', 'Session "sales" does not exist', /Create the session/],
  ['/api/v1/linked', '409', 'Session "sales" is already linked to +15550100000', /linked already/],
  ['/api/v1/forbidden', '403', 'WhatsApp refused to promote participants: not allowed', /Runtime error code: not_allowed \(HTTP 403\)/],
  ['/api/v1/offline', '409', 'Session "sales" is not connected (status: qr)', /Get QR Code/],
  ['/api/v1/limited', '429', 'WhatsApp is rate-limiting this number', /wait a minute/],
  ['/api/v1/broken', '500', 'Internal error', /internal_error/],
  ['/api/v1/scope', '403', 'This API key lacks the "send" permission', /API keys/],
])('%s: the runtime\'s message, its code and a hint, with the item index', async (path, httpCode, message, description) => {
  const error = await failure(path);
  expect(error.message).toBe(message);
  expect(error.httpCode).toBe(httpCode);
  expect(error.description).toMatch(description);
  expect(error.context.itemIndex).toBe(3);
});

test('a binary request (media, QR) that fails shows the runtime\'s message too', async () => {
  const error = await failure('/api/v1/offline', { binary: true });
  expect(error.message).toBe('Session "sales" is not connected (status: qr)');
  expect(error.httpCode).toBe('409');
});

test('an unreachable runtime says what to check', async () => {
  const { context } = makeExecuteContext({ parameters: {}, credentials: { baseUrl: 'http://127.0.0.1:9', apiKey: 'k' } });
  const unreachable = (await runtimeRequest.call(context, 'GET', '/me').catch((e: unknown) => e)) as NodeApiError;
  expect(unreachable.message).toMatch(/not reachable/);
});
