import type { INodeProperties } from 'n8n-workflow';
import * as sendText from './sendText.operation';

export const operations = { sendText };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['message'] } },
    options: [{ name: 'Send Text', value: 'sendText', action: 'Send a text message', description: 'Send a text to a phone number, a chat or a group' }],
    default: 'sendText',
  },
  ...sendText.description,
];
