import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { listParameter } from '../fields';
import { sessionPath } from '../session/common';

const show = { resource: ['contact'], operation: ['check'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { displayName: 'Phone Numbers', name: 'numbers', type: 'string', default: '', required: true, placeholder: '+49 151 23456789, +1 555 0100', description: 'One or more numbers, comma-separated; one output item per number', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const { results } = (await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/contacts/check`, { body: { numbers: listParameter(this, 'numbers', i) }, itemIndex: i })) as { results: IDataObject[] };
  return results.map((result) => ({ json: result, pairedItem: { item: i } }));
}
