import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { requiredString } from '../fields';
import { listFields, listPath } from './common';

const show = { resource: ['contactList'], operation: ['remove'] };

export const description: INodeProperties[] = [...listFields(show), { displayName: 'Phone Number', name: 'phone', type: 'string', default: '={{ $json.phone }}', required: true, displayOptions: { show } }];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const phone = requiredString(this, 'phone', i, 'Phone Number');
  await runtimeRequest.call(this, 'DELETE', `${listPath(this, i)}/contacts/${encodeURIComponent(phone)}`, { itemIndex: i });
  return [{ json: { removed: true, phone }, pairedItem: { item: i } }];
}
