import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { recipient } from '../message/common';
import { sessionPath } from '../session/common';

const show = { resource: ['chat'], operation: ['getMessages'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, description: 'The chat to read', displayOptions: { show } },
  { displayName: 'Limit', name: 'limit', type: 'number', typeOptions: { minValue: 1, maxValue: 200 }, default: 50, description: 'Max number of results to return', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const chat = encodeURIComponent(recipient(this, i));
  const { messages } = (await runtimeRequest.call(this, 'GET', `${sessionPath(this, i)}/chats/${chat}/messages`, { qs: { limit: this.getNodeParameter('limit', i, 50) as number }, itemIndex: i })) as { messages: IDataObject[] };
  return messages.map((message) => ({ json: message, pairedItem: { item: i } }));
}
