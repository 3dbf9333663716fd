import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';

const show = { resource: ['chat'], operation: ['getAll'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { displayName: 'Limit', name: 'limit', type: 'number', typeOptions: { minValue: 1, maxValue: 500 }, default: 50, description: 'Max number of results to return', displayOptions: { show } },
  { displayName: 'Only Archived', name: 'archivedOnly', type: 'boolean', default: false, displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const archived = this.getNodeParameter('archivedOnly', i, false) as boolean;
  const { chats } = (await runtimeRequest.call(this, 'GET', `${sessionPath(this, i)}/chats`, { qs: { limit: this.getNodeParameter('limit', i, 50) as number, ...(archived && { archived: true }) }, itemIndex: i })) as { chats: IDataObject[] };
  return chats.map((chat) => ({ json: chat, pairedItem: { item: i } }));
}
