import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { contactField, contactPath } from './common';

const show = { resource: ['contact'], operation: ['getPicture'] };

export const description: INodeProperties[] = [{ ...sessionRLC, displayOptions: { show } }, contactField(show)];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const picture = await runtimeRequest.call(this, 'GET', `${sessionPath(this, i)}/contacts/${contactPath(this, i)}/picture`, { itemIndex: i });
  return [{ json: picture as IDataObject, pairedItem: { item: i } }];
}
