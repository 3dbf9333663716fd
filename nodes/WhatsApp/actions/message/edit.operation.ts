import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { requiredString } from '../fields';
import { actOn, targetFields } from './actOn';

const show = { resource: ['message'], operation: ['edit'] };

export const description: INodeProperties[] = [
  ...targetFields(show),
  { displayName: 'New Text', name: 'text', type: 'string', typeOptions: { rows: 3 }, default: '', required: true, description: 'Replaces the text of a message this account sent', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  return actOn(this, i, 'edit', { text: requiredString(this, 'text', i, 'New Text') });
}
