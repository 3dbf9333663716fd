import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { groupFields, groupRequest } from './common';

const show = { resource: ['group'], operation: ['getInviteCode'] };

export const description: INodeProperties[] = [
  ...groupFields(show),
  { displayName: 'Revoke and Create a New One', name: 'revoke', type: 'boolean', default: false, description: 'Whether to revoke the current link first (the old link stops working)', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  return this.getNodeParameter('revoke', i, false) ? groupRequest(this, i, 'POST', '/invite-code/revoke') : groupRequest(this, i, 'GET', '/invite-code');
}
