import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { recipient } from '../message/common';
import { sessionPath } from '../session/common';

const show = { resource: ['chat'], operation: ['markRead'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, description: 'The chat to mark read', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const chat = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/chats/${encodeURIComponent(recipient(this, i))}/read`, { itemIndex: i });
  return [{ json: chat as IDataObject, pairedItem: { item: i } }];
}
