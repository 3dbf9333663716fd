import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionItem, sessionPath } from './common';

export const description: INodeProperties[] = [{ ...sessionRLC, displayOptions: { show: { resource: ['session'], operation: ['get'] } } }];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const session = await runtimeRequest.call(this, 'GET', sessionPath(this, i), { itemIndex: i });
  return [sessionItem(session as IDataObject, i)];
}
