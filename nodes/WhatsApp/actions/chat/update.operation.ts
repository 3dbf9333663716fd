import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { recipient } from '../message/common';
import { sessionPath } from '../session/common';

const show = { resource: ['chat'], operation: ['update'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, description: 'The chat to change', displayOptions: { show } },
  {
    displayName: 'Update Fields',
    name: 'updateFields',
    type: 'collection',
    placeholder: 'Add Field',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Archived', name: 'archived', type: 'boolean', default: true },
      { displayName: 'Muted', name: 'muted', type: 'boolean', default: true, description: 'Whether to mute the chat (for ever unless Muted Until is set)' },
      { displayName: 'Muted Until', name: 'mutedUntil', type: 'dateTime', default: '' },
      { displayName: 'Pinned', name: 'pinned', type: 'boolean', default: true },
    ],
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const fields = this.getNodeParameter('updateFields', i, {}) as IDataObject;
  if (!Object.keys(fields).length) throw new NodeOperationError(this.getNode(), 'Nothing to change: add at least one field', { itemIndex: i });
  const body: IDataObject = { ...fields };
  if (fields.mutedUntil) body.mutedUntil = new Date(fields.mutedUntil as string).toISOString();
  const chat = await runtimeRequest.call(this, 'PATCH', `${sessionPath(this, i)}/chats/${encodeURIComponent(recipient(this, i))}`, { body, itemIndex: i });
  return [{ json: chat as IDataObject, pairedItem: { item: i } }];
}
