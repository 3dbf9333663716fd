import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { listParameter } from '../fields';
import { sessionPath } from '../session/common';
import { recipient } from './common';

const show = { resource: ['message'], operation: ['sendPoll'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, displayOptions: { show } },
  { displayName: 'Question', name: 'question', type: 'string', default: '', required: true, displayOptions: { show } },
  { displayName: 'Options', name: 'pollOptions', type: 'string', typeOptions: { rows: 4 }, default: '', required: true, placeholder: 'Yes\nNo\nMaybe', description: 'One answer per line (2 to 12)', displayOptions: { show } },
  { displayName: 'Allow Multiple Answers', name: 'multipleAnswers', type: 'boolean', default: false, displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const options = listParameter(this, 'pollOptions', i, /\n/);
  const body: IDataObject = { to: recipient(this, i), name: this.getNodeParameter('question', i) as string, options, multipleAnswers: this.getNodeParameter('multipleAnswers', i, false) as boolean };
  const sent = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/messages/poll`, { body, itemIndex: i });
  return [{ json: sent as IDataObject, pairedItem: { item: i } }];
}
