import { NodeOperationError, WAIT_INDEFINITELY, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties, type IWebhookDescription, type IWebhookFunctions, type IWebhookResponseData } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { recipient } from './common';

// Parameter names are n8n's own Send and Wait names, so n8n treats this operation as one (waiting state, HITL tool).
const show = { resource: ['message'], operation: ['sendAndWait'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, displayOptions: { show } },
  { displayName: 'Message', name: 'message', type: 'string', typeOptions: { rows: 4 }, required: true, default: '', description: 'The question to send', displayOptions: { show } },
  {
    displayName: 'Response Type',
    name: 'responseType',
    type: 'options',
    options: [
      { name: 'Approval', value: 'approval', description: 'The recipient approves or declines (taps a poll option or replies "yes"/"no" in WhatsApp, or opens a link)' },
      { name: 'Free Text', value: 'freeText', description: 'The recipient answers in their own words (a WhatsApp reply, or a form behind a link)' },
    ],
    default: 'approval',
    displayOptions: { show },
  },
  {
    displayName: 'Approval Options',
    name: 'approvalOptions',
    type: 'fixedCollection',
    placeholder: 'Add option',
    default: {},
    displayOptions: { show: { ...show, responseType: ['approval'] } },
    options: [
      {
        displayName: 'Values',
        name: 'values',
        values: [
          { displayName: 'Type of Approval', name: 'approvalType', type: 'options', options: [{ name: 'Approve Only', value: 'single' }, { name: 'Approve and Disapprove', value: 'double' }], default: 'double' },
          { displayName: 'Approve Button Label', name: 'approveLabel', type: 'string', default: 'Approve' },
          { displayName: 'Disapprove Button Label', name: 'disapproveLabel', type: 'string', default: 'Decline', displayOptions: { show: { approvalType: ['double'] } } },
        ],
      },
    ],
  },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add option',
    default: {},
    displayOptions: { show },
    options: [
      {
        displayName: 'Limit Wait Time',
        name: 'limitWaitTime',
        type: 'fixedCollection',
        default: { values: { limitType: 'afterTimeInterval', resumeAmount: 45, resumeUnit: 'minutes' } },
        description: 'Whether the workflow continues on its own after some time without an answer',
        options: [
          {
            displayName: 'Values',
            name: 'values',
            values: [
              { displayName: 'Limit Type', name: 'limitType', type: 'options', default: 'afterTimeInterval', options: [{ name: 'After Time Interval', value: 'afterTimeInterval' }, { name: 'At Specified Time', value: 'atSpecifiedTime' }] },
              { displayName: 'Amount', name: 'resumeAmount', type: 'number', default: 1, typeOptions: { minValue: 0, numberPrecision: 2 }, displayOptions: { show: { limitType: ['afterTimeInterval'] } } },
              { displayName: 'Unit', name: 'resumeUnit', type: 'options', default: 'hours', options: [{ name: 'Days', value: 'days' }, { name: 'Hours', value: 'hours' }, { name: 'Minutes', value: 'minutes' }], displayOptions: { show: { limitType: ['afterTimeInterval'] } } },
              { displayName: 'Max Date and Time', name: 'maxDateAndTime', type: 'dateTime', default: '', displayOptions: { show: { limitType: ['atSpecifiedTime'] } } },
            ],
          },
        ],
      },
      { displayName: 'Accept WhatsApp Replies', name: 'replyInWhatsApp', type: 'boolean', default: true, description: 'Whether a reply in the chat answers (besides the link)' },
      {
        displayName: 'Ask With a Poll',
        name: 'approvalPoll',
        type: 'boolean',
        default: true,
        description: 'Whether an approve-or-decline question is sent as a WhatsApp poll with the two labels as choices (one tap answers; "yes"/"no" replies still work). Off: a text message with approve and decline links.',
        displayOptions: { show: { '/responseType': ['approval'] } },
      },
    ],
  },
];

/** n8n's waiting webhooks for this node (restartWebhook): the signed resume URLs land here, as for its built-in nodes. */
export const sendAndWaitWebhooks: IWebhookDescription[] = [
  { name: 'default', httpMethod: 'GET', responseMode: 'onReceived', responseData: '', path: '={{ $nodeId }}', restartWebhook: true, isFullPath: true },
  { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', responseData: '', path: '={{ $nodeId }}', restartWebhook: true, isFullPath: true },
];

const POLL_NAME_MAX = 255;
const UNIT_MS: Record<string, number> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const message = this.getNodeParameter('message', i) as string;
  const responseType = this.getNodeParameter('responseType', i, 'approval') as 'approval' | 'freeText';
  const approval = (this.getNodeParameter('approvalOptions.values', i, {}) ?? {}) as { approvalType?: 'single' | 'double'; approveLabel?: string; disapproveLabel?: string };
  const options = this.getNodeParameter('options', i, {}) as { limitWaitTime?: { values?: { limitType?: string; resumeAmount?: number; resumeUnit?: string; maxDateAndTime?: string } }; replyInWhatsApp?: boolean; approvalPoll?: boolean };
  const waitTill = waitUntil(this, options.limitWaitTime?.values, i);
  const replies = options.replyInWhatsApp !== false;
  const approveUrl = this.getSignedResumeUrl({ approved: 'true' });
  const disapproveUrl = this.getSignedResumeUrl({ approved: 'false' });
  const textUrl = this.getSignedResumeUrl();
  const double = (approval.approvalType ?? 'double') === 'double';
  const approveLabel = approval.approveLabel || 'Approve';
  const disapproveLabel = approval.disapproveLabel || 'Decline';
  const expiresAt = waitTill.getTime() !== WAIT_INDEFINITELY.getTime() ? { expiresAt: waitTill.toISOString() } : {};
  const to = recipient(this, i);
  const path = sessionPath(this, i);
  // a poll needs two distinct choices and WhatsApp answers; otherwise the question carries links
  if (responseType === 'approval' && double && replies && options.approvalPoll !== false) {
    if (approveLabel.trim().toLowerCase() === disapproveLabel.trim().toLowerCase()) {
      throw new NodeOperationError(this.getNode(), 'The approve and decline labels must differ: they become the poll\'s two choices', { itemIndex: i });
    }
    // WhatsApp limits a poll question to 255 characters: a longer message goes first as text
    const pollName = message.length <= POLL_NAME_MAX ? message : 'Your answer';
    if (pollName !== message) await runtimeRequest.call(this, 'POST', `${path}/messages/text`, { body: { to, text: message }, itemIndex: i });
    const waitForReply = { responseType, approveUrl, disapproveUrl, ...expiresAt };
    await runtimeRequest.call(this, 'POST', `${path}/messages/poll`, { body: { to, name: pollName, options: [approveLabel, disapproveLabel], waitForReply }, itemIndex: i });
  } else {
    const lines = [message, ''];
    if (responseType === 'approval') {
      if (replies) lines.push(double ? 'Reply *yes* to approve or *no* to decline, or open a link:' : 'Reply *yes* to approve, or open the link:');
      lines.push(`*${approveLabel}:* ${approveUrl}`);
      if (double) lines.push(`*${disapproveLabel}:* ${disapproveUrl}`);
    } else {
      lines.push(replies ? `Reply to this message, or answer here: ${textUrl}` : `Answer here: ${textUrl}`);
    }
    const waitForReply = replies ? { responseType, ...(responseType === 'approval' ? { approveUrl, ...(double && { disapproveUrl }) } : { textUrl }), ...expiresAt } : undefined;
    await runtimeRequest.call(this, 'POST', `${path}/messages/text`, { body: { to, text: lines.join('\n'), ...(waitForReply && { waitForReply }) }, itemIndex: i });
  }
  await this.putExecutionToWait(waitTill);
  return [{ json: this.getInputData()[i]?.json ?? {}, pairedItem: { item: i } }];
}

/** The answer arrives here: an approval link (GET with `approved`), the free-text form (GET shows it, POST submits), or the runtime relaying a WhatsApp reply. */
export async function webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
  const request = this.getRequestObject();
  const responseType = this.getNodeParameter('responseType', 'approval') as string;
  if (responseType === 'approval') {
    const approved = request.query.approved === 'true';
    return { webhookResponse: page(approved ? 'Approved. You can close this page.' : 'Declined. You can close this page.'), workflowData: [[{ json: { data: { approved } } }]] };
  }
  if (request.method === 'GET') return { webhookResponse: formPage(this.getNodeParameter('message', '') as string) };
  const text = String((request.body as IDataObject | undefined)?.text ?? '').trim();
  if (!text) return { webhookResponse: formPage(this.getNodeParameter('message', '') as string, 'Please write an answer.') };
  return { webhookResponse: page('Thank you, your answer was sent.'), workflowData: [[{ json: { data: { text } } }]] };
}

function waitUntil(context: IExecuteFunctions, limit: { limitType?: string; resumeAmount?: number; resumeUnit?: string; maxDateAndTime?: string } | undefined, itemIndex: number): Date {
  if (!limit) return WAIT_INDEFINITELY;
  if (limit.limitType === 'atSpecifiedTime') {
    const at = new Date(limit.maxDateAndTime ?? '');
    if (Number.isNaN(at.getTime())) throw new NodeOperationError(context.getNode(), 'Limit Wait Time: "Max Date and Time" is not a valid date', { itemIndex });
    return at;
  }
  return new Date(Date.now() + (limit.resumeAmount ?? 1) * (UNIT_MS[limit.resumeUnit ?? 'hours'] ?? UNIT_MS.hours));
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(text: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>WhatsApp</title><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto"><p>${escape(text)}</p></body></html>`;
}

function formPage(question: string, error?: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Your answer</title><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto"><form method="post"><label for="text">${escape(question)}</label><br><textarea id="text" name="text" rows="5" style="width:100%" required></textarea>${error ? `<p role="alert">${escape(error)}</p>` : ''}<button type="submit">Send</button></form></body></html>`;
}
