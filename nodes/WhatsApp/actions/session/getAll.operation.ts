import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { sessionItem } from './common';

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const { sessions } = (await runtimeRequest.call(this, 'GET', '/sessions', { itemIndex: i })) as { sessions: IDataObject[] };
  return sessions.map((session) => sessionItem(session, i));
}
