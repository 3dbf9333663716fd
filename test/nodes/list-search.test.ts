/** The "From list" pickers of the WhatsApp node against a real runtime linked to the sandbox. */
import type { ILoadOptionsFunctions } from 'n8n-workflow';
import { WhatsApp } from '../../nodes/WhatsApp/WhatsApp.node';
import { makeExecuteContext } from '../helpers/n8n-context';
import { ADMIN_KEY, linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

const ACCOUNT = '15550009400';
const NINA = '15550009401';

describe('list search', () => {
  let t: TestRuntime;
  const { searchChats, searchGroups, searchSessions } = new WhatsApp().methods.listSearch;
  const picker = (session: unknown): ILoadOptionsFunctions => {
    const { context } = makeExecuteContext({ parameters: {}, credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY } });
    return Object.assign(context, { getCurrentNodeParameter: (name: string) => (name === 'session' ? session : undefined) }) as unknown as ILoadOptionsFunctions;
  };

  beforeAll(async () => {
    t = await startRuntime();
    t.runtime.sandbox!.createUser({ phone: NINA, name: 'Nina' });
    await linkSession(t, 'shop', ACCOUNT);
    await t.api('POST', '/api/v1/sessions/shop/messages/text', { to: `+${NINA}`, text: 'hello' });
    await t.api('POST', '/api/v1/sessions/shop/groups', { subject: 'Regulars', participants: [`+${NINA}`] });
  });
  afterAll(() => t.close());

  test('sessions are listed with their number, and filtered by what the user types', async () => {
    expect((await searchSessions.call(picker(''))).results).toEqual([{ name: `shop (+${ACCOUNT})`, value: 'shop' }]);
    expect((await searchSessions.call(picker(''), 'nope')).results).toEqual([]);
  });

  test('chats and groups of the picked session; with Session left empty, of the only session there is', async () => {
    const chats = (await searchChats.call(picker('shop'))).results.map((r) => r.value);
    expect(chats).toContain(`${NINA}@s.whatsapp.net`);
    expect((await searchChats.call(picker(''))).results.map((r) => r.value)).toEqual(chats);
    expect((await searchGroups.call(picker(''), 'regul')).results.map((r) => r.name)).toEqual(['Regulars (2 members)']);
  });

  test('with Session left empty and several sessions, the user is asked to pick one', async () => {
    await t.api('POST', '/api/v1/sessions', { id: 'second', start: false });
    await expect(searchChats.call(picker(''))).rejects.toThrow(/Pick a session first: .* the runtime has 2 sessions/);
    await expect(searchChats.call(picker('={{ $json.session }}'))).rejects.toThrow(/Pick a session first/);
  });
});
