import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { campaignIdField, campaignPath } from './common';

const show = { resource: ['campaign'], operation: ['getRecipients'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  campaignIdField(show),
  {
    displayName: 'Status',
    name: 'status',
    type: 'options',
    default: '',
    displayOptions: { show },
    options: [
      { name: 'Any', value: '' },
      { name: 'Cancelled', value: 'cancelled' },
      { name: 'Delivered', value: 'delivered' },
      { name: 'Failed', value: 'failed' },
      { name: 'Queued', value: 'queued' },
      { name: 'Read', value: 'read' },
      { name: 'Sent', value: 'sent' },
      { name: 'Skipped', value: 'skipped' },
    ],
  },
  { displayName: 'Limit', name: 'limit', type: 'number', typeOptions: { minValue: 1, maxValue: 1000 }, default: 50, description: 'Max number of results to return', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const status = this.getNodeParameter('status', i, '') as string;
  const qs = { limit: this.getNodeParameter('limit', i, 50) as number, ...(status && { status }) };
  const { recipients } = (await runtimeRequest.call(this, 'GET', `${campaignPath(this, i)}/recipients`, { qs, itemIndex: i })) as { recipients: IDataObject[] };
  return recipients.map((recipient) => ({ json: recipient, pairedItem: { item: i } }));
}
