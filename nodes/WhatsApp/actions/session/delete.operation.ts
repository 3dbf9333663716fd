import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionId, sessionItem, sessionPath } from './common';

export const description: INodeProperties[] = [{ ...sessionRLC, displayOptions: { show: { resource: ['session'], operation: ['delete'] } } }];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  await runtimeRequest.call(this, 'DELETE', sessionPath(this, i), { itemIndex: i });
  return [sessionItem({ id: sessionId(this, i), deleted: true }, i)];
}
