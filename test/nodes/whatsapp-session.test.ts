import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { WhatsApp } from '../../nodes/WhatsApp/WhatsApp.node';
import { ADMIN_KEY, startRuntime, type TestRuntime } from '../helpers/runtime';
import { makeExecuteContext } from '../helpers/n8n-context';

describe('WhatsApp Runtime node, Session resource, against a real runtime', () => {
  let t: TestRuntime;
  const node = new WhatsApp();

  beforeAll(async () => {
    t = await startRuntime();
  });
  afterAll(async () => {
    await t.close();
  });

  const run = (parameters: Record<string, unknown> | ((i: number) => Record<string, unknown>), extra: { items?: number; continueOnFail?: boolean; apiKey?: string; baseUrl?: string } = {}) => {
    const { context, requests } = makeExecuteContext({
      items: Array.from({ length: extra.items ?? 1 }, () => ({ json: {} })),
      parameters: typeof parameters === 'function' ? (i) => ({ resource: 'session', ...parameters(i) }) : { resource: 'session', ...parameters },
      credentials: { baseUrl: extra.baseUrl ?? `${t.runtime.url}/`, apiKey: extra.apiKey ?? ADMIN_KEY },
      continueOnFail: extra.continueOnFail,
    });
    return { result: node.execute.call(context), requests };
  };

  test('create processes every item, with pairedItem on each output', async () => {
    const { result, requests } = run((i) => ({ operation: 'create', sessionId: `node-${i}` }), { items: 2 });
    const [output] = await result;
    expect(output.map((o) => [o.json.id, o.pairedItem])).toEqual([
      ['node-0', { item: 0 }],
      ['node-1', { item: 1 }],
    ]);
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${t.runtime.url}/api/v1/sessions`, `POST ${t.runtime.url}/api/v1/sessions`]);
  });

  test('Create → Get QR Code chains with the defaults: an empty Session (list mode, as a new node starts) takes the incoming item\'s `session`', async () => {
    const [[created]] = await run({ operation: 'create', sessionId: 'chained' }).result;
    expect(created.json).toMatchObject({ id: 'chained', session: 'chained' });
    const defaults = Object.fromEntries(node.description.properties.map((p) => [p.name, p.default]));
    expect(defaults.session).toEqual({ mode: 'list', value: '' });
    const { context } = makeExecuteContext({ items: [created], parameters: { resource: 'session', operation: 'getQr', session: defaults.session, binaryPropertyName: 'qr' }, credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY } });
    const [qr] = await node.execute.call(context);
    expect(qr[0].json.session).toBe('chained');
    expect(qr[0].binary?.qr.mimeType).toBe('image/png');
    // with nothing incoming either, the user is told what to do
    await expect(run({ operation: 'get', session: defaults.session }).result).rejects.toThrow(/No session given: pick a session from the list/);
  });

  test('get many lists the sessions; get QR returns a PNG in binary data', async () => {
    const [list] = await run({ operation: 'getAll' }).result;
    expect(list.map((o) => o.json.id)).toEqual(expect.arrayContaining(['node-0', 'node-1']));
    const [qr] = await run({ operation: 'getQr', session: { mode: 'list', value: 'node-0' }, binaryPropertyName: 'qr' }).result;
    expect(qr[0].binary?.qr.mimeType).toBe('image/png');
    expect(Buffer.from(qr[0].binary!.qr.data, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  test('errors: unknown session as NodeApiError, invalid id as NodeOperationError before any request, continueOnFail keeps going', async () => {
    await expect(run({ operation: 'get', session: { mode: 'id', value: 'missing' } }).result).rejects.toThrow(NodeApiError);
    await expect(run({ operation: 'get', session: { mode: 'id', value: 'missing' } }).result).rejects.toThrow('Session "missing" does not exist');
    const invalid = run({ operation: 'get', session: { mode: 'id', value: 'bad id' } });
    await expect(invalid.result).rejects.toThrow(NodeOperationError);
    expect(invalid.requests).toHaveLength(0);
    const [output] = await run((i) => ({ operation: 'get', session: { mode: 'id', value: i === 0 ? 'missing' : 'node-1' } }), { items: 2, continueOnFail: true }).result;
    expect(output[0].json.error).toMatch(/does not exist/);
    expect(output[0].pairedItem).toEqual({ item: 0 });
    expect(output[1].json.id).toBe('node-1');
  });

  test('a wrong key or an unreachable runtime give messages a user can act on', async () => {
    await expect(run({ operation: 'getAll' }, { apiKey: 'wrong-key-0123456789abcdef' }).result).rejects.toThrow(/rejected the API key/);
    await expect(run({ operation: 'getAll' }, { baseUrl: `http://127.0.0.1:${await closedPort()}` }).result).rejects.toThrow(/not reachable/);
  });

  test('delete removes the session', async () => {
    const [output] = await run({ operation: 'delete', session: { mode: 'id', value: 'node-1' } }).result;
    expect(output[0].json).toEqual({ session: 'node-1', id: 'node-1', deleted: true });
    expect((await t.api('GET', '/api/v1/sessions/node-1')).status).toBe(404);
  });
});

async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
