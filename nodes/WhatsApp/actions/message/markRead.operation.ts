import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { listParameter } from '../fields';
import { sessionPath } from '../session/common';
import { targetFields } from './actOn';
import { recipient } from './common';

const show = { resource: ['message'], operation: ['markRead'] };

export const description: INodeProperties[] = targetFields(show).map((p) => (p.name === 'messageId' ? { ...p, displayName: 'Message IDs', description: 'One or more message IDs, comma-separated' } : p));

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const body = { chatId: recipient(this, i), messageIds: listParameter(this, 'messageId', i) };
  const read = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/messages/read`, { body, itemIndex: i });
  return [{ json: read as IDataObject, pairedItem: { item: i } }];
}
