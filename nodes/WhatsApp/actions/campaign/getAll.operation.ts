import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';

const show = { resource: ['campaign'], operation: ['getAll'] };

export const description: INodeProperties[] = [{ ...sessionRLC, displayOptions: { show } }];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const { campaigns } = (await runtimeRequest.call(this, 'GET', `${sessionPath(this, i)}/campaigns`, { itemIndex: i })) as { campaigns: IDataObject[] };
  return campaigns.map((campaign) => ({ json: campaign, pairedItem: { item: i } }));
}
