import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { recipient } from './common';

const show = { resource: ['message'], operation: ['sendPresence'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, displayOptions: { show } },
  {
    displayName: 'Show',
    name: 'state',
    type: 'options',
    default: 'composing',
    displayOptions: { show },
    options: [
      { name: 'Typing…', value: 'composing' },
      { name: 'Recording Audio…', value: 'recording' },
      { name: 'Nothing (Stop)', value: 'paused' },
    ],
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const result = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/presence`, { body: { chatId: recipient(this, i), state: this.getNodeParameter('state', i) as string }, itemIndex: i });
  return [{ json: result as IDataObject, pairedItem: { item: i } }];
}
