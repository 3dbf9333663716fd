import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from './common';

const show = { resource: ['session'], operation: ['requestPairingCode'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  {
    displayName: 'Phone Number',
    name: 'phoneNumber',
    type: 'string',
    required: true,
    default: '',
    placeholder: '+49 151 23456789',
    description: 'The number to link, with country code; enter the returned code on that phone under Linked Devices',
    displayOptions: { show },
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const phoneNumber = this.getNodeParameter('phoneNumber', i) as string;
  const result = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/pairing-code`, { body: { phoneNumber }, itemIndex: i });
  return [{ json: result as IDataObject, pairedItem: { item: i } }];
}
