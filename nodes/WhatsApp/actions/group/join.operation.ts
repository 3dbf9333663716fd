import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { requiredString } from '../fields';
import { sessionPath } from '../session/common';

const show = { resource: ['group'], operation: ['join'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { displayName: 'Invite Link or Code', name: 'code', type: 'string', default: '', required: true, placeholder: 'https://chat.whatsapp.com/AbCdEf123456', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const joined = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/groups/join`, { body: { code: requiredString(this, 'code', i, 'Invite Link or Code') }, itemIndex: i });
  return [{ json: joined as IDataObject, pairedItem: { item: i } }];
}
