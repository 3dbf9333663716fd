import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';

const show = { resource: ['group'], operation: ['getAll'] };

export const description: INodeProperties[] = [{ ...sessionRLC, displayOptions: { show } }];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const { groups } = (await runtimeRequest.call(this, 'GET', `${sessionPath(this, i)}/groups`, { itemIndex: i })) as { groups: IDataObject[] };
  return groups.map((group) => ({ json: group, pairedItem: { item: i } }));
}
