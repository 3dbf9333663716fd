/** Block and Unblock share everything but the verb. */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { contactField, contactPath } from './common';

export function blockDescription(operation: 'block' | 'unblock'): INodeProperties[] {
  const show = { resource: ['contact'], operation: [operation] };
  return [{ ...sessionRLC, displayOptions: { show } }, contactField(show)];
}

export async function setBlocked(context: IExecuteFunctions, i: number, action: 'block' | 'unblock'): Promise<INodeExecutionData[]> {
  const result = await runtimeRequest.call(context, 'POST', `${sessionPath(context, i)}/contacts/${contactPath(context, i)}/${action}`, { itemIndex: i });
  return [{ json: result as IDataObject, pairedItem: { item: i } }];
}
