import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { sessionItem } from './common';

export const description: INodeProperties[] = [
  {
    displayName: 'Session ID',
    name: 'sessionId',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'sales',
    description: 'A name you choose for the linked number: letters, digits, "-" and "_"',
    displayOptions: { show: { resource: ['session'], operation: ['create'] } },
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const id = this.getNodeParameter('sessionId', i) as string;
  const session = await runtimeRequest.call(this, 'POST', '/sessions', { body: { id }, itemIndex: i });
  return [sessionItem(session as IDataObject, i)];
}
