import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { listParameter } from '../fields';
import { groupFields, groupRequest } from './common';

const show = { resource: ['group'], operation: ['updateParticipants'] };

export const description: INodeProperties[] = [
  ...groupFields(show),
  {
    displayName: 'Action',
    name: 'action',
    type: 'options',
    default: 'add',
    displayOptions: { show },
    options: [
      { name: 'Add', value: 'add' },
      { name: 'Approve Join Requests', value: 'approve' },
      { name: 'Demote From Admin', value: 'demote' },
      { name: 'Promote to Admin', value: 'promote' },
      { name: 'Reject Join Requests', value: 'reject' },
      { name: 'Remove', value: 'remove' },
    ],
  },
  { displayName: 'Participants', name: 'participants', type: 'string', default: '', required: true, placeholder: '+49 151 23456789, +1 555 0100', description: 'Phone numbers, comma-separated', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const action = this.getNodeParameter('action', i) as string;
  const participants = listParameter(this, 'participants', i);
  const joinRequest = action === 'approve' || action === 'reject';
  return groupRequest(this, i, 'POST', joinRequest ? '/join-requests' : '/participants', { action, participants });
}
