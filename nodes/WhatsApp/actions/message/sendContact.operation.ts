import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { recipient } from './common';
import { queueFields, queueOptions } from '../fields';

const show = { resource: ['message'], operation: ['sendContact'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, displayOptions: { show } },
  { displayName: 'Contact Name', name: 'contactName', type: 'string', default: '', required: true, displayOptions: { show } },
  { displayName: 'Contact Phone', name: 'contactPhone', type: 'string', default: '', required: true, placeholder: '+49 151 23456789', displayOptions: { show } },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Organization', name: 'organization', type: 'string', default: '' },
      { displayName: 'Email', name: 'email', type: 'string', placeholder: 'name@email.com', default: '' },
      ...queueOptions,
    ],
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const options = this.getNodeParameter('options', i, {}) as { organization?: string; email?: string; bulk?: boolean; sendAt?: string };
  const contact: IDataObject = {
    name: this.getNodeParameter('contactName', i) as string,
    phone: this.getNodeParameter('contactPhone', i) as string,
    ...(options.organization && { organization: options.organization }),
    ...(options.email && { email: options.email }),
  };
  const sent = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/messages/contact`, { body: { to: recipient(this, i), contacts: [contact], ...queueFields(this, options, i) }, itemIndex: i });
  return [{ json: sent as IDataObject, pairedItem: { item: i } }];
}
