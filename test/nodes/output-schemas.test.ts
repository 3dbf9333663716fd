/**
 * Every operation of the WhatsApp node, and the trigger, has an output schema in `__schema__` (what n8n shows as
 * "Usually outputs the following fields" before a run), and it matches what the operation really outputs: each
 * operation runs here through the real node against a real runtime linked to the sandbox, and a field the schema
 * lacks or a value of another type fails the test. `UPDATE_OUTPUT_SCHEMAS=1` writes the schemas from these outputs.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { IDataObject, INodeExecutionData, INodeProperties, IWebhookFunctions } from 'n8n-workflow';
import { WhatsApp } from '../../nodes/WhatsApp/WhatsApp.node';
import { flatten, type IncomingEvent } from '../../nodes/WhatsAppTrigger/filters';
import { makeExecuteContext } from '../helpers/n8n-context';
import { infer, merge, mismatches, operationSchemaPath, readSchema, triggerSchemaPath, writeSchema, type OutputSchema } from '../helpers/output-schema';
import { ADMIN_KEY, linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

const UPDATE = process.env.UPDATE_OUTPUT_SCHEMAS === '1';
const ACCOUNT = '15550009300';
const [KIM, LEO] = ['12025550131', '12025550132'];
const session = { mode: 'id', value: 'schemas' };
const kimChat = { mode: 'id', value: `${KIM}@s.whatsapp.net` };
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);

/** Every resource/operation pair the node offers. */
function operations(): string[] {
  return (new WhatsApp().description.properties as INodeProperties[])
    .filter((p) => p.name === 'operation')
    .flatMap((p) => (p.options as { value: string }[]).map((o) => `${String(p.displayOptions!.show!.resource![0])}/${o.value}`));
}

describe('output schemas match real outputs', () => {
  let t: TestRuntime;
  const outputs = new Map<string, IDataObject[]>();
  const record = (key: string, items: INodeExecutionData[]) => outputs.set(key, [...(outputs.get(key) ?? []), ...items.map((item) => item.json)]);
  const run = async (parameters: IDataObject, items: INodeExecutionData[] = [{ json: {} }]): Promise<IDataObject[]> => {
    const { context } = makeExecuteContext({ items, parameters: { session, ...parameters }, credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY } });
    const [output] = await new WhatsApp().execute.call(context);
    record(`${String(parameters.resource)}/${String(parameters.operation)}`, output);
    return output.map((item) => item.json);
  };

  beforeAll(async () => {
    t = await startRuntime();
    const kim = t.runtime.sandbox!.createUser({ phone: KIM, name: 'Kim' });
    kim.about = 'Out for lunch';
    t.runtime.sandbox!.accounts.setPicture(kim, PNG);
    t.runtime.sandbox!.createUser({ phone: LEO, name: 'Leo' });
    await linkSession(t, 'schemas', ACCOUNT);
    await t.api('PATCH', '/api/v1/sessions/schemas/outbound/settings', { minGapMs: 0, maxGapMs: 0, perMinute: null, perHour: null, perDay: null, firstContactsPerDay: null });
  });
  afterAll(() => t.close());

  test('every operation runs and its output fits its schema', async () => {
    const sim = t.runtime.sandbox!;
    await run({ resource: 'session', operation: 'create', sessionId: 'fresh' });
    await run({ resource: 'session', operation: 'get', session: { mode: 'id', value: 'fresh' } });
    await run({ resource: 'session', operation: 'getAll' });
    await t.waitForEvent((e) => e.type === 'session.qr' && e.session === 'fresh');
    await run({ resource: 'session', operation: 'getQr', session: { mode: 'id', value: 'fresh' }, binaryPropertyName: 'qr' });
    await run({ resource: 'session', operation: 'requestPairingCode', session: { mode: 'id', value: 'fresh' }, phoneNumber: '+1 555 000 9399' });
    await run({ resource: 'session', operation: 'delete', session: { mode: 'id', value: 'fresh' } });

    const [text] = await run({ resource: 'message', operation: 'sendText', chat: kimChat, text: 'Hello *Kim*', options: {} });
    await run({ resource: 'message', operation: 'sendText', chat: kimChat, text: 'later', options: { bulk: true } });
    await run({ resource: 'message', operation: 'sendMedia', chat: kimChat, mediaType: 'image', source: 'binary', binaryPropertyName: 'photo', options: { caption: 'stock' } }, [{ json: {}, binary: { photo: { data: PNG.toString('base64'), mimeType: 'image/png', fileName: 'p.png' } } }]);
    await run({ resource: 'message', operation: 'sendLocation', chat: kimChat, latitude: 38.7, longitude: -9.1, options: { name: 'Shop' } });
    await run({ resource: 'message', operation: 'sendContact', chat: kimChat, contactName: 'Ann', contactPhone: '+1 202 555 0133', options: {} });
    await run({ resource: 'message', operation: 'sendPoll', chat: kimChat, question: 'Lunch?', pollOptions: 'Pizza\nSalad', multipleAnswers: false });
    const messageId = String(text.id ?? text.messageId);
    await run({ resource: 'message', operation: 'react', chat: kimChat, messageId, emoji: '👍' });
    await run({ resource: 'message', operation: 'edit', chat: kimChat, messageId, text: 'Hello Kim!' });
    await run({ resource: 'message', operation: 'forward', chat: kimChat, messageId, forwardTo: `+${LEO}` });
    await run({ resource: 'message', operation: 'sendPresence', chat: kimChat, state: 'composing' });
    const upload = await sim.uploadMedia({ kind: 'document', data: Buffer.from('orders'), mimetype: 'text/plain', fileName: 'orders.txt' });
    const received = await sim.sendMessage(KIM, ACCOUNT, upload);
    await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { messageId: string }).messageId === received);
    await run({ resource: 'message', operation: 'markRead', chat: kimChat, messageId: received });
    await run({ resource: 'message', operation: 'downloadMedia', chat: kimChat, messageId: received, binaryPropertyName: 'file' }, [{ json: { chatId: kimChat.value } }]);
    await run({ resource: 'message', operation: 'delete', chat: kimChat, messageId });
    const answer = (query: IDataObject, body: IDataObject, responseType: string) =>
      new WhatsApp().webhook.call({ getRequestObject: () => ({ method: body.text ? 'POST' : 'GET', query, body }), getNodeParameter: (name: string, fallback: unknown) => (name === 'responseType' ? responseType : fallback) } as unknown as IWebhookFunctions);
    for (const answered of [await answer({ approved: 'true' }, {}, 'approval'), await answer({}, { text: 'yes' }, 'freeText')]) record('message/sendAndWait', answered.workflowData![0]);

    await run({ resource: 'chat', operation: 'getAll', limit: 10, archivedOnly: false });
    await run({ resource: 'chat', operation: 'getMessages', chat: kimChat, limit: 10 });
    await run({ resource: 'chat', operation: 'markRead', chat: kimChat });
    await run({ resource: 'chat', operation: 'update', chat: kimChat, updateFields: { pinned: true } });

    await run({ resource: 'contact', operation: 'check', numbers: `+${KIM}, +1 202 555 0199` });
    await run({ resource: 'contact', operation: 'get', contact: `+${KIM}` });
    await run({ resource: 'contact', operation: 'getPicture', contact: `+${KIM}` });
    await run({ resource: 'contact', operation: 'block', contact: `+${LEO}` });
    await run({ resource: 'contact', operation: 'unblock', contact: `+${LEO}` });

    const [group] = await run({ resource: 'group', operation: 'create', subject: 'Team', participants: `+${KIM}` });
    const groupRef = { mode: 'id', value: String(group.id) };
    await run({ resource: 'group', operation: 'get', group: groupRef });
    await run({ resource: 'group', operation: 'getAll' });
    await run({ resource: 'group', operation: 'update', group: groupRef, updateFields: { subject: 'Team 2' } });
    await run({ resource: 'group', operation: 'updateParticipants', group: groupRef, action: 'add', participants: `+${LEO}` });
    await run({ resource: 'group', operation: 'updateParticipants', group: groupRef, action: 'promote', participants: `+${LEO}` });
    await run({ resource: 'group', operation: 'getInviteCode', group: groupRef, revoke: false });
    const [invite] = await run({ resource: 'group', operation: 'getInviteCode', group: groupRef, revoke: true });
    await run({ resource: 'group', operation: 'leave', group: groupRef });
    await run({ resource: 'group', operation: 'join', code: String(invite.link ?? invite.code) });

    const [list] = await run({ resource: 'contactList', operation: 'create', listName: 'Customers', defaultCountry: 'US' });
    const listRef = { mode: 'id', value: String(list.id) };
    await t.api('PATCH', `/api/v1/sessions/schemas/lists/${String(list.id)}`, { fields: [{ name: 'city', type: 'string' }] });
    await run({ resource: 'contactList', operation: 'upsert', list: listRef, phone: `+${KIM}`, name: 'Kim', fields: { field: [{ name: 'city', value: 'Lisbon' }] }, tags: 'vip' });
    const people = [{ json: { phone: `+${LEO}`, name: 'Leo' } }, { json: { phone: 'nope', name: 'Bad' } }];
    const { context } = makeExecuteContext({ items: people, parameters: (i) => ({ session, resource: 'contactList', operation: 'importItems', list: listRef, phone: people[i].json.phone, name: people[i].json.name, fields: {}, tags: '' }), credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY } });
    record('contactList/importItems', (await new WhatsApp().execute.call(context))[0]);
    await run({ resource: 'contactList', operation: 'get', list: listRef, phone: `+${KIM}` });
    await run({ resource: 'contactList', operation: 'getMembers', list: listRef, returnAll: true, filters: {} });

    const [campaign] = await run({ resource: 'campaign', operation: 'create', audience: 'list', list: listRef, listTag: '', messageType: 'text', text: 'Hi {{name}} in {{fields.city|town}}', options: { name: 'Hello', sendAt: new Date(Date.now() + 3_600_000).toISOString() } });
    const campaignId = String(campaign.id);
    await run({ resource: 'campaign', operation: 'get', campaignId });
    await run({ resource: 'campaign', operation: 'getAll' });
    await run({ resource: 'campaign', operation: 'getRecipients', campaignId, limit: 10 });
    await run({ resource: 'campaign', operation: 'pause', campaignId });
    await run({ resource: 'campaign', operation: 'resume', campaignId });
    await run({ resource: 'campaign', operation: 'cancel', campaignId });
    await run({ resource: 'contactList', operation: 'remove', list: listRef, phone: `+${LEO}` });
    await run({ resource: 'session', operation: 'logout' });

    const problems: string[] = [];
    for (const key of operations()) {
      const [resource, operation] = key.split('/');
      const path = operationSchemaPath(resource, operation);
      const seen = outputs.get(key) ?? [];
      if (!seen.length) problems.push(`${key}: not run here`);
      if (UPDATE && seen.length) writeSchema(path, seen.map(infer).reduce(merge));
      const schema = readSchema(path);
      if (!schema) problems.push(`${key}: no ${relative(process.cwd(), path)}`);
      else problems.push(...seen.flatMap((json) => mismatches(json, schema).map((m) => `${key}: ${m}`)));
    }
    expect(problems).toEqual([]);
  });

  test('the trigger\'s schema covers every event the runtime produced in this run, as the trigger flattens it', () => {
    const items = t.events.filter((e) => e.type !== 'webhook.test').map((e) => flatten(e as unknown as IncomingEvent));
    expect(new Set(t.events.map((e) => e.type)).size).toBeGreaterThan(8);
    // both versions output the same items
    for (const version of ['1.0.0', '2.0.0']) {
      const path = triggerSchemaPath(version);
      if (UPDATE) writeSchema(path, items.map(infer).reduce(merge));
      const schema = readSchema(path) as OutputSchema;
      expect(items.flatMap((item) => mismatches(item, schema))).toEqual([]);
    }
  });

  test('no schema file is left over for an operation the node no longer has', () => {
    const root = join(__dirname, '..', '..', 'nodes', 'WhatsApp', '__schema__', 'v1.0.0');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '').split('\\').join('/'));
    expect(files.sort()).toEqual(operations().sort());
  });
});
