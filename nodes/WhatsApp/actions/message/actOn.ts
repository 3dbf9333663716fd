/** The operations that act on an existing message (react, edit, delete, forward): one request shape, one output. */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { messageIdField } from '../fields';
import { sessionPath } from '../session/common';
import { recipient } from './common';
import type { Show } from '../fields';

export function targetFields(show: Show): INodeProperties[] {
  return [
    { ...sessionRLC, displayOptions: { show } },
    { ...chatRLC, displayName: 'Chat of the Message', description: 'The chat the message is in. After a WhatsApp Trigger the default is the incoming chat.', displayOptions: { show } },
    messageIdField(show),
  ];
}

export async function actOn(context: IExecuteFunctions, i: number, action: string, extra: IDataObject): Promise<INodeExecutionData[]> {
  const body = { chatId: recipient(context, i), messageId: context.getNodeParameter('messageId', i) as string, ...extra };
  const sent = await runtimeRequest.call(context, 'POST', `${sessionPath(context, i)}/messages/${action}`, { body, itemIndex: i });
  return [{ json: sent as IDataObject, pairedItem: { item: i } }];
}
