import { WhatsApp } from '../../nodes/WhatsApp/WhatsApp.node';
import { makeExecuteContext, makeWebhookContext } from '../helpers/n8n-context';
import { Receiver } from '../helpers/receiver';
import { ADMIN_KEY, linkSession, startRuntime, type TestRuntime } from '../helpers/runtime';

const ACCOUNT = '15550014000';
const BOSS = '15550014001';

describe('Send and Wait for Response, answered in WhatsApp', () => {
  let t: TestRuntime;
  let n8nResume: Receiver;
  const node = new WhatsApp();

  beforeAll(async () => {
    t = await startRuntime();
    t.runtime.sandbox!.createUser({ phone: BOSS, name: 'Boss' });
    await linkSession(t, 'approvals', ACCOUNT);
    n8nResume = await Receiver.start();
  });
  afterAll(async () => {
    await n8nResume.close();
    await t.close();
  });

  const ask = async (responseType: 'approval' | 'freeText', waits: Date[], extra: { message?: string; approvalOptions?: object; options?: object } = {}) => {
    const { context } = makeExecuteContext({
      parameters: { resource: 'message', operation: 'sendAndWait', session: { mode: 'id', value: 'approvals' }, chat: { mode: 'phone', value: `+${BOSS}` }, message: extra.message ?? 'Ship release 1.2?', responseType, approvalOptions: extra.approvalOptions ?? {}, options: extra.options ?? { approvalPoll: false } },
      credentials: { baseUrl: t.runtime.url, apiKey: ADMIN_KEY },
      extra: {
        getSignedResumeUrl: (query: Record<string, string> = {}) => `${n8nResume.url}?${new URLSearchParams({ ...query, signature: 'sig' })}`,
        putExecutionToWait: async (until: Date) => void waits.push(until),
      },
    });
    return node.execute.call(context);
  };

  test('approval: the question carries both links; replying "Yes!" resumes through the approve URL', async () => {
    const waits: Date[] = [];
    const [[output]] = await ask('approval', waits);
    expect(output.pairedItem).toEqual({ item: 0 });
    expect(waits).toHaveLength(1);
    const question = await t.runtime.sandbox!.waitForReceived(BOSS, (m) => !!m.text?.startsWith('Ship release 1.2?'));
    expect(question.text).toContain('approved=true');
    expect(question.text).toContain('approved=false');
    expect(question.text).toContain('Reply *yes*');
    await t.runtime.sandbox!.sendMessage(BOSS, ACCOUNT, { conversation: 'Yes!' });
    await n8nResume.waitFor((r) => r.length >= 1);
    expect(n8nResume.requests).toHaveLength(1);
    // the wait is used up: a second "no" resumes nothing
    await t.runtime.sandbox!.sendMessage(BOSS, ACCOUNT, { conversation: 'no' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(n8nResume.requests).toHaveLength(1);
  });

  test('approval by poll: the question is a poll of the two labels; a vote for "Hold" resumes through the disapprove URL', async () => {
    const waits: Date[] = [];
    const before = n8nResume.requests.length;
    await ask('approval', waits, { message: 'Publish the post?', approvalOptions: { values: { approveLabel: 'Go', disapproveLabel: 'Hold' } }, options: {} });
    expect(waits).toHaveLength(1);
    const poll = await t.runtime.sandbox!.waitForReceived(BOSS, (m) => m.message.pollCreationMessageV3?.name === 'Publish the post?' || m.message.pollCreationMessage?.name === 'Publish the post?');
    const creation = poll.message.pollCreationMessageV3 ?? poll.message.pollCreationMessage;
    expect(creation!.options!.map((o) => o.optionName)).toEqual(['Go', 'Hold']);
    expect(creation!.selectableOptionsCount).toBe(1);
    await t.runtime.sandbox!.votePoll(BOSS, poll.id, ['Hold']);
    await n8nResume.waitFor((r) => r.length >= before + 1);
    expect(n8nResume.requests[before].url).toContain('approved=false');
    // answered once: changing the vote or replying afterwards resumes nothing
    await t.runtime.sandbox!.votePoll(BOSS, poll.id, ['Go']);
    await t.runtime.sandbox!.sendMessage(BOSS, ACCOUNT, { conversation: 'yes' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(n8nResume.requests).toHaveLength(before + 1);
  });

  test('approval by poll also accepts a reply naming a label; a question longer than a poll allows goes first as text', async () => {
    const before = n8nResume.requests.length;
    const long = `Release notes:\n${'- fixed a bug\n'.repeat(30)}Ship it?`;
    await ask('approval', [], { message: long, options: {} });
    const text = await t.runtime.sandbox!.waitForReceived(BOSS, (m) => m.text === long);
    const poll = await t.runtime.sandbox!.waitForReceived(BOSS, (m) => m.message.pollCreationMessageV3?.name === 'Your answer' || m.message.pollCreationMessage?.name === 'Your answer');
    expect(poll.timestamp).toBeGreaterThanOrEqual(text.timestamp);
    await t.runtime.sandbox!.sendMessage(BOSS, ACCOUNT, { conversation: 'approve' });
    await n8nResume.waitFor((r) => r.length >= before + 1);
    expect(n8nResume.requests[before].url).toContain('approved=true');
  });

  test('a poll with equal labels is refused before anything is sent; the runtime refuses polls that cannot be one approval', async () => {
    const sent = t.runtime.sandbox!.received(BOSS).length;
    await expect(ask('approval', [], { approvalOptions: { values: { approveLabel: 'OK', disapproveLabel: 'ok' } }, options: {} })).rejects.toThrow('The approve and decline labels must differ');
    const wait = { responseType: 'approval', approveUrl: 'http://127.0.0.1:9/a', disapproveUrl: 'http://127.0.0.1:9/d' };
    const three = await t.api('POST', '/api/v1/sessions/approvals/messages/poll', { to: BOSS, name: 'Q', options: ['a', 'b', 'c'], waitForReply: wait });
    expect(three.status).toBe(400);
    expect(three.body.error.message).toContain('exactly two options');
    const free = await t.api('POST', '/api/v1/sessions/approvals/messages/poll', { to: BOSS, name: 'Q', options: ['a', 'b'], waitForReply: { responseType: 'freeText', textUrl: 'http://127.0.0.1:9/t' } });
    expect(free.status).toBe(400);
    expect(free.body.error.message).toContain('only wait for an approval');
    expect(t.runtime.sandbox!.received(BOSS)).toHaveLength(sent);
  });

  test("the node's webhook turns a resume request into {data: {approved}} or {data: {text}}", async () => {
    const approve = makeWebhookContext({ headers: {}, rawBody: Buffer.from('{}'), staticData: {}, parameters: { responseType: 'approval' } });
    (approve.context as unknown as { getRequestObject: () => unknown }).getRequestObject = () => ({ method: 'GET', query: { approved: 'true' }, headers: {} });
    expect((await node.webhook.call(approve.context)).workflowData).toEqual([[{ json: { data: { approved: true } } }]]);
    const text = makeWebhookContext({ headers: {}, rawBody: Buffer.from('{"text":"ship it"}'), staticData: {}, parameters: { responseType: 'freeText', message: 'q' } });
    (text.context as unknown as { getRequestObject: () => unknown }).getRequestObject = () => ({ method: 'POST', query: {}, headers: {}, body: { text: 'ship it' } });
    expect((await node.webhook.call(text.context)).workflowData).toEqual([[{ json: { data: { text: 'ship it' } } }]]);
  });
});
