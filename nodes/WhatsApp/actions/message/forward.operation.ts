import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { requiredString } from '../fields';
import { actOn, targetFields } from './actOn';

const show = { resource: ['message'], operation: ['forward'] };

export const description: INodeProperties[] = [
  ...targetFields(show),
  { displayName: 'Forward To', name: 'forwardTo', type: 'string', default: '', required: true, placeholder: '+49 151 23456789 or 1203630...@g.us', description: 'Phone number, chat ID or group ID', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  return actOn(this, i, 'forward', { to: requiredString(this, 'forwardTo', i, 'Forward To') });
}
