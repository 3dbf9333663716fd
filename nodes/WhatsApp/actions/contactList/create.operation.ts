import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { requiredString } from '../fields';
import { sessionPath } from '../session/common';

const show = { resource: ['contactList'], operation: ['create'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { displayName: 'List Name', name: 'listName', type: 'string', default: '', required: true, displayOptions: { show } },
  { displayName: 'Default Country', name: 'defaultCountry', type: 'string', default: '', placeholder: 'DE', description: 'ISO country code for numbers written without one', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const defaultCountry = String(this.getNodeParameter('defaultCountry', i, '') ?? '').trim();
  const body = { name: requiredString(this, 'listName', i, 'List Name'), ...(defaultCountry && { defaultCountry }) };
  const list = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/lists`, { body, itemIndex: i });
  return [{ json: list as IDataObject, pairedItem: { item: i } }];
}
