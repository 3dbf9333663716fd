import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { campaignIdField, control } from './common';

const show = { resource: ['campaign'], operation: ['resume'] };

export const description: INodeProperties[] = [{ ...sessionRLC, displayOptions: { show } }, campaignIdField(show)];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  return control(this, i, 'resume');
}
