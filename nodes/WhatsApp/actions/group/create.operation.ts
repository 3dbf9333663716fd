import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { listParameter } from '../fields';
import { sessionPath } from '../session/common';

const show = { resource: ['group'], operation: ['create'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { displayName: 'Subject', name: 'subject', type: 'string', default: '', required: true, description: 'The group name', displayOptions: { show } },
  { displayName: 'Participants', name: 'participants', type: 'string', default: '', required: true, placeholder: '+49 151 23456789, +1 555 0100', description: 'Phone numbers, comma-separated', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const body = { subject: this.getNodeParameter('subject', i) as string, participants: listParameter(this, 'participants', i) };
  const group = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/groups`, { body, itemIndex: i });
  return [{ json: group as IDataObject, pairedItem: { item: i } }];
}
