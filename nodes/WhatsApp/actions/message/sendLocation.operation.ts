import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { recipient } from './common';
import { queueFields, queueOptions } from '../fields';

const show = { resource: ['message'], operation: ['sendLocation'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, displayOptions: { show } },
  { displayName: 'Latitude', name: 'latitude', type: 'number', typeOptions: { minValue: -90, maxValue: 90, numberPrecision: 6 }, default: 0, required: true, displayOptions: { show } },
  { displayName: 'Longitude', name: 'longitude', type: 'number', typeOptions: { minValue: -180, maxValue: 180, numberPrecision: 6 }, default: 0, required: true, displayOptions: { show } },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Name', name: 'name', type: 'string', default: '', description: 'Name of the place' },
      { displayName: 'Address', name: 'address', type: 'string', default: '' },
      ...queueOptions,
    ],
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const options = this.getNodeParameter('options', i, {}) as { name?: string; address?: string; bulk?: boolean; sendAt?: string };
  const body: IDataObject = {
    to: recipient(this, i),
    latitude: this.getNodeParameter('latitude', i) as number,
    longitude: this.getNodeParameter('longitude', i) as number,
    ...(options.name && { name: options.name }),
    ...(options.address && { address: options.address }),
    ...queueFields(this, options, i),
  };
  const sent = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/messages/location`, { body, itemIndex: i });
  return [{ json: sent as IDataObject, pairedItem: { item: i } }];
}
