import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { groupFields, groupRequest } from './common';

export const description = groupFields({ resource: ['group'], operation: ['leave'] });

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  return groupRequest(this, i, 'POST', '/leave');
}
