import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { actOn, targetFields } from './actOn';

const show = { resource: ['message'], operation: ['delete'] };

export const description: INodeProperties[] = targetFields(show);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  return actOn(this, i, 'delete', {});
}
