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

  const ask = async (responseType: 'approval' | 'freeText', waits: Date[]) => {
    const { context } = makeExecuteContext({
      parameters: { resource: 'message', operation: 'sendAndWait', session: { mode: 'id', value: 'approvals' }, chat: { mode: 'phone', value: `+${BOSS}` }, message: 'Ship release 1.2?', responseType, approvalOptions: {}, options: {} },
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

  test("the node's webhook turns a resume request into {data: {approved}} or {data: {text}}", async () => {
    const approve = makeWebhookContext({ headers: {}, rawBody: Buffer.from('{}'), staticData: {}, parameters: { responseType: 'approval' } });
    (approve.context as unknown as { getRequestObject: () => unknown }).getRequestObject = () => ({ method: 'GET', query: { approved: 'true' }, headers: {} });
    expect((await node.webhook.call(approve.context)).workflowData).toEqual([[{ json: { data: { approved: true } } }]]);
    const text = makeWebhookContext({ headers: {}, rawBody: Buffer.from('{"text":"ship it"}'), staticData: {}, parameters: { responseType: 'freeText', message: 'q' } });
    (text.context as unknown as { getRequestObject: () => unknown }).getRequestObject = () => ({ method: 'POST', query: {}, headers: {}, body: { text: 'ship it' } });
    expect((await node.webhook.call(text.context)).workflowData).toEqual([[{ json: { data: { text: 'ship it' } } }]]);
  });
});
