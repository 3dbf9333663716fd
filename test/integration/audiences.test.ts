/**
 * Contact lists end to end against a sandbox runtime: a CSV in Latin-1 with `;`, quoted fields and bad rows is
 * imported with an exact report; a re-import in UTF-8 with BOM and `,` updates instead of duplicating; a campaign
 * to a filtered list fills its text from the contacts' fields; a contact who writes STOP through the simulator is
 * opted out everywhere, skipped by the next campaign and refused for a direct send, and START opts them back in.
 */
import { buildMessage } from '../../src/runtime/sandbox/messages';
import { linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../helpers/until';

let t: TestRuntime;
const S = 'shop';
const US = '12025550143';
const BR = '5511987654321';
const DE = '4915123456789';
let listId: string;

beforeAll(async () => {
  t = await startRuntime({ importMaxBytes: 4096, optOutConfirmation: 'You are unsubscribed. Reply START to subscribe again.' });
  for (const [phone, name] of [[US, 'Ann'], [BR, 'Bruno'], [DE, 'Dora']]) t.runtime.sandbox!.createUser({ phone, name });
  await linkSession(t, S, '12025550100');
  const created = await t.api('POST', `/api/v1/sessions/${S}/lists`, {
    name: 'Customers',
    defaultCountry: 'US',
    fields: [
      { name: 'city', type: 'string' },
      { name: 'visits', type: 'number' },
      { name: 'vip', type: 'boolean' },
      { name: 'since', type: 'date' },
    ],
  });
  expect(created.status).toBe(201);
  listId = created.body.id;
}, 60_000);
afterAll(async () => t?.close());

function upload(content: Buffer | string, name = 'contacts.csv') {
  const form = new FormData();
  form.append('file', new Blob([typeof content === 'string' ? Buffer.from(content) : content]), name);
  return t.api('POST', `/api/v1/sessions/${S}/lists/${listId}/imports`, form);
}

async function importFile(content: Buffer | string, mapping: Record<string, unknown>) {
  const uploaded = await upload(content);
  expect(uploaded.status).toBe(201);
  const started = await t.api('POST', `/api/v1/sessions/${S}/lists/${listId}/imports/${uploaded.body.id}/start`, { mapping });
  expect(started.status).toBe(202);
  const done = await t.waitForEvent((e) => e.type === 'contact_list.import' && (e.data as { importId: string }).importId === uploaded.body.id && ['completed', 'failed'].includes((e.data as { status: string }).status), 15_000);
  return { uploaded: uploaded.body, done: done.data as { status: string; created: number; updated: number; skipped: number; processed: number; checked: number } };
}

const MAPPING = { phone: 'Telefone', name: 'Nome', fields: { Cidade: 'city', Visitas: 'visits', VIP: 'vip', Desde: 'since' }, tags: 'Tags' };

test('a Latin-1 CSV with ";", quotes and bad rows: the shape is detected, the import reports every skipped row exactly', async () => {
  const csv = Buffer.from(
    [
      'Telefone;Nome;Cidade;Visitas;VIP;Desde;Tags',
      '(202) 555-0143;Ann;"Washington; DC";3;yes;2024-05-01;"vip,us"',
      `${BR};João;São Paulo;12;não;2023-01-15;br`,
      `+49 151 23456789;Dora;Zürich;1;true;2022-12-31;"vip"`,
      '123;Nobody;;;;;',
      '202-555-0143;Ann again;;;;;',
      '+1 202 555 0178;Bad visits;;abc;;;',
      ';No phone;;;;;',
    ].join('\r\n'),
    'latin1',
  );
  const uploaded = await upload(csv);
  expect(uploaded.status).toBe(201);
  expect(uploaded.body).toMatchObject({ status: 'uploaded', shape: { encoding: 'latin1', bom: false, delimiter: ';', headers: ['Telefone', 'Nome', 'Cidade', 'Visitas', 'VIP', 'Desde', 'Tags'] } });
  expect(uploaded.body.shape.sample[1]).toEqual([BR, 'João', 'São Paulo', '12', 'não', '2023-01-15', 'br']);
  expect(uploaded.body.shape.sample[0][2]).toBe('Washington; DC');

  const unknown = await t.api('POST', `/api/v1/sessions/${S}/lists/${listId}/imports/${uploaded.body.id}/start`, { mapping: { phone: 'Phone' } });
  expect(unknown.status).toBe(400);
  expect(unknown.body.error).toMatchObject({ code: 'unknown_column', details: { field: 'mapping.phone' } });

  const started = await t.api('POST', `/api/v1/sessions/${S}/lists/${listId}/imports/${uploaded.body.id}/start`, { mapping: MAPPING });
  expect(started.status).toBe(202);
  const done = await t.waitForEvent((e) => e.type === 'contact_list.import' && (e.data as { importId: string }).importId === uploaded.body.id && (e.data as { status: string }).status === 'completed', 15_000);
  expect(done.data).toMatchObject({ processed: 7, created: 3, updated: 0, skipped: 4, checked: 3 });
  const report = await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/imports/${uploaded.body.id}/report`);
  expect(report.body.skipped.map((r: { line: number; phone: string; reason: string }) => [r.line, r.phone, r.reason])).toEqual([
    [5, '123', 'invalid_number'],
    [6, '202-555-0143', 'duplicate'],
    [7, '+1 202 555 0178', 'invalid_field'],
    [8, '', 'invalid_number'],
  ]);
  const reportCsv = await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/imports/${uploaded.body.id}/report?format=csv`);
  expect(reportCsv.body.split('\r\n')[0]).toBe('line,phone,reason,message');
  expect(reportCsv.body).toContain('7,+1 202 555 0178,invalid_field,"The field ""visits"" must be a number"');

  const ann = await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts/${encodeURIComponent('+1 (202) 555-0143')}`);
  expect(ann.body).toMatchObject({ phone: `+${US}`, name: 'Ann', fields: { city: 'Washington; DC', visits: 3, vip: true, since: '2024-05-01' }, tags: ['vip', 'us'], whatsapp: 'on_whatsapp', optedOut: false });
  const bruno = await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts/%2B${BR}`);
  expect(bruno.body).toMatchObject({ name: 'João', fields: { city: 'São Paulo', visits: 12, vip: false } });
  expect((await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}`)).body.size).toBe(3);
});

test('re-importing (UTF-8 with BOM, ",") updates the contacts it already has and adds none twice', async () => {
  const csv = `\uFEFFTelefone,Nome,Cidade,Visitas,VIP,Desde,Tags\r\n+${US},Ann Smith,Washington,4,yes,2024-05-01,vip\r\n`;
  const { uploaded, done } = await importFile(csv, MAPPING);
  expect(uploaded.shape).toMatchObject({ encoding: 'utf-8', bom: true, delimiter: ',' });
  expect(done).toMatchObject({ status: 'completed', processed: 1, created: 0, updated: 1, skipped: 0 });
  expect((await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}`)).body.size).toBe(3);
  const ann = await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts/%2B${US}`);
  expect(ann.body).toMatchObject({ name: 'Ann Smith', fields: { city: 'Washington', visits: 4 }, tags: ['vip', 'us'] });
});

test('bad files are refused with a clear 4xx: empty, binary, too large, no file', async () => {
  const empty = await upload('');
  expect(empty.status).toBe(400);
  expect(empty.body.error).toMatchObject({ code: 'empty_file', details: { field: 'file' } });
  const binary = await upload(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'cat.png');
  expect(binary.status).toBe(415);
  expect(binary.body.error.code).toBe('not_csv');
  const large = await upload(`phone\r\n${'+12025550143\r\n'.repeat(400)}`);
  expect(large.status).toBe(413);
  expect(large.body.error.code).toBe('file_too_large');
  const none = await t.api('POST', `/api/v1/sessions/${S}/lists/${listId}/imports`, {});
  expect(none.status).toBe(400);
  expect(none.body.error.details).toEqual({ field: 'url' });
  const privateUrl = await t.api('POST', `/api/v1/sessions/${S}/lists/${listId}/imports`, { url: 'http://127.0.0.1:1/contacts.csv' });
  expect(privateUrl.status).toBe(400);
  expect(privateUrl.body.error.code).toBe('url_not_allowed');
});

test('members with filters and a cursor; contacts one by one and in a batch, each answered', async () => {
  const vip = await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts?tag=vip&limit=1`);
  expect(vip.body.contacts.map((c: { phone: string }) => c.phone)).toEqual([`+${US}`]);
  const next = await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts?tag=vip&limit=1&cursor=${vip.body.nextCursor}`);
  expect(next.body.contacts.map((c: { phone: string }) => c.phone)).toEqual([`+${DE}`]);
  expect((await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts?field=city:S%C3%A3o%20Paulo`)).body.contacts).toHaveLength(1);
  const batch = await t.api('POST', `/api/v1/sessions/${S}/lists/${listId}/contacts/batch`, {
    contacts: [{ phone: '+1 202 555 0199', name: 'Eve', fields: { visits: 2 } }, { phone: '+1 202 555 0199' }, { phone: 'nope' }, { phone: '+1 202 555 0198', fields: { visits: '2' } }],
  });
  expect(batch.body.counts).toEqual({ created: 1, updated: 0, skipped: 3 });
  expect(batch.body.results.map((r: { status: string; reason?: string }) => r.reason ?? r.status)).toEqual(['created', 'duplicate', 'invalid_number', 'invalid_field']);
  const one = await t.api('POST', `/api/v1/sessions/${S}/lists/${listId}/contacts`, { phone: '(202) 555-0199', tags: ['late'] });
  expect(one.status).toBe(200);
  expect(one.body).toMatchObject({ created: false, name: 'Eve', tags: ['late'], fields: { visits: 2 } });
  expect((await t.api('DELETE', `/api/v1/sessions/${S}/lists/${listId}/contacts/%2B12025550199`)).status).toBe(204);
  expect((await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts/%2B12025550199`)).status).toBe(404);
  const exported = await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/export`);
  expect(exported.headers.get('content-type')).toContain('text/csv');
  const lines = (exported.body as string).trim().split('\r\n');
  expect(lines[0]).toBe('phone,name,tags,optedOut,whatsapp,city,visits,vip,since');
  expect(lines).toContain(`+${BR},João,br,false,on_whatsapp,São Paulo,12,false,2023-01-15`);
});

test('a campaign to the list filtered by tag fills the text from each contact, with a default for a missing field', async () => {
  await t.api('PATCH', `/api/v1/sessions/${S}/lists/${listId}/contacts/%2B${DE}`, { fields: { city: '' } });
  const campaign = await t.api('POST', `/api/v1/sessions/${S}/campaigns`, { name: 'VIP', template: { kind: 'text', text: 'Hi {{name}} from {{fields.city|your city}}, {{fields.visits}} visits!' }, list: { id: listId, tag: 'vip' } });
  expect(campaign.status).toBe(201);
  expect(campaign.body.campaign).toMatchObject({ total: 2, audience: { listId, listName: 'Customers', tag: 'vip', matched: 2 } });
  await until(() => t.runtime.sandbox!.received(US).some((m) => m.text === 'Hi Ann Smith from Washington, 4 visits!'), 30_000);
  await until(() => t.runtime.sandbox!.received(DE).some((m) => m.text === 'Hi Dora from your city, 1 visits!'), 30_000);
  expect(t.runtime.sandbox!.received(BR).some((m) => m.text?.startsWith('Hi '))).toBe(false);
}, 60_000);

test('STOP opts the contact out everywhere: confirmed, skipped by the next campaign, refused for a direct send; START opts back in', async () => {
  await t.runtime.sandbox!.sendMessage(BR, '12025550100', buildMessage.text('  stop '));
  const event = await t.waitForEvent((e) => e.type === 'contact.opted_out');
  expect(event.data).toMatchObject({ phone: `+${BR}`, how: 'keyword', keyword: 'stop' });
  await until(() => t.runtime.sandbox!.received(BR).some((m) => m.text === 'You are unsubscribed. Reply START to subscribe again.'));
  expect((await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts/%2B${BR}`)).body).toMatchObject({ optedOut: true, optOut: { how: 'keyword', keyword: 'stop', at: expect.any(String) } });
  expect((await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts?optedOut=true`)).body.contacts.map((c: { phone: string }) => c.phone)).toEqual([`+${BR}`]);
  expect((await t.api('GET', `/api/v1/sessions/${S}/opt-outs`)).body.optOuts).toEqual([expect.objectContaining({ phone: `+${BR}`, how: 'keyword', keyword: 'stop' })]);

  const campaign = await t.api('POST', `/api/v1/sessions/${S}/campaigns`, { template: { kind: 'text', text: 'Sale {{name}}' }, list: { id: listId } });
  expect(campaign.status).toBe(201);
  expect(campaign.body.skipped).toEqual([expect.objectContaining({ to: `+${BR}`, reason: 'opted_out' })]);

  const direct = await t.api('POST', `/api/v1/sessions/${S}/messages/text`, { to: BR, text: 'are you there?' });
  expect(direct.status).toBe(422);
  expect(direct.body.error).toMatchObject({ code: 'recipient_opted_out', details: { field: 'to' } });
  const queued = await t.api('POST', `/api/v1/sessions/${S}/messages/text`, { to: `+${BR}`, text: 'later', lane: 'bulk' });
  expect(queued.status).toBe(422);
  const asked = await t.api('POST', `/api/v1/sessions/${S}/messages/text`, { to: BR, text: 'Here is the receipt you asked for', ignoreOptOut: true });
  expect(asked.status).toBe(200);

  // a message of theirs opens the 24-hour reply window
  await t.runtime.sandbox!.sendMessage(BR, '12025550100', buildMessage.text('where is my order?'));
  await t.waitForEvent((e) => e.type === 'message.received' && (e.data as { text?: string }).text === 'where is my order?');
  await until(async () => (await t.api('POST', `/api/v1/sessions/${S}/messages/text`, { to: BR, text: 'It ships today' })).status === 200);

  await t.runtime.sandbox!.sendMessage(BR, '12025550100', buildMessage.text('START'));
  await t.waitForEvent((e) => e.type === 'contact.opted_in');
  expect((await t.api('GET', `/api/v1/sessions/${S}/lists/${listId}/contacts/%2B${BR}`)).body.optedOut).toBe(false);
  expect((await t.api('GET', `/api/v1/sessions/${S}/opt-outs`)).body.optOuts).toEqual([]);
}, 60_000);
