import type { INodeProperties } from 'n8n-workflow';
import * as sendAndWait from './sendAndWait.operation';
import * as sendText from './sendText.operation';

export const operations = { sendAndWait, sendText };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['message'] } },
    options: [
      { name: 'Send and Wait for Response', value: 'sendAndWait', action: 'Send message and wait for response', description: 'Ask a question and continue the workflow when the recipient answers, by a WhatsApp reply or a link' },
      { name: 'Send Text', value: 'sendText', action: 'Send a text message', description: 'Send a text to a phone number, a chat or a group' },
    ],
    default: 'sendText',
  },
  ...sendAndWait.description,
  ...sendText.description,
];
