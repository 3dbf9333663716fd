import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { actOn, targetFields } from './actOn';

const show = { resource: ['message'], operation: ['react'] };

export const description: INodeProperties[] = [
  ...targetFields(show),
  { displayName: 'Emoji', name: 'emoji', type: 'string', default: '👍', description: 'One emoji; leave empty to remove your reaction', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  return actOn(this, i, 'reaction', { emoji: (this.getNodeParameter('emoji', i, '') as string).trim() });
}
