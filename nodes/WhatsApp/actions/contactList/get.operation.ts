import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { requiredString } from '../fields';
import { listFields, listPath } from './common';

const show = { resource: ['contactList'], operation: ['get'] };

export const description: INodeProperties[] = [...listFields(show), { displayName: 'Phone Number', name: 'phone', type: 'string', default: '={{ $json.phone }}', required: true, displayOptions: { show } }];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const contact = await runtimeRequest.call(this, 'GET', `${listPath(this, i)}/contacts/${encodeURIComponent(requiredString(this, 'phone', i, 'Phone Number'))}`, { itemIndex: i });
  return [{ json: contact as IDataObject, pairedItem: { item: i } }];
}
