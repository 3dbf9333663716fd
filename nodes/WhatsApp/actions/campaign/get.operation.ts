import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { campaignIdField, campaignPath } from './common';

const show = { resource: ['campaign'], operation: ['get'] };

export const description: INodeProperties[] = [{ ...sessionRLC, displayOptions: { show } }, campaignIdField(show)];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const campaign = await runtimeRequest.call(this, 'GET', campaignPath(this, i), { itemIndex: i });
  return [{ json: campaign as IDataObject, pairedItem: { item: i } }];
}
