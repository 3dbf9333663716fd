import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { blockDescription, setBlocked } from './setBlocked';

export const description = blockDescription('block');

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  return setBlocked(this, i, 'block');
}
