import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { recipient } from './common';
import { queueFields, queueOptions } from '../fields';

const show = { resource: ['message'], operation: ['sendText'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, displayOptions: { show } },
  {
    displayName: 'Text',
    name: 'text',
    type: 'string',
    typeOptions: { rows: 4 },
    required: true,
    default: '',
    description: 'The message text',
    hint: 'WhatsApp formatting: *bold*, _italic_, ~strikethrough~, ```monospace```, > quote, - list',
    displayOptions: { show },
  },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Reply To Message ID', name: 'quotedMessageId', type: 'string', default: '', description: 'Quote this message of the same chat (after a trigger: the messageId field of its item)' },
      { displayName: 'Link Preview', name: 'linkPreview', type: 'boolean', default: true, description: 'Whether the first link in the text shows a preview (title, description, image)' },
      { displayName: 'Mentions', name: 'mentions', type: 'string', default: '', placeholder: '+49 151 2345678, +1 555 0100', description: 'Phone numbers to mention (comma-separated); write @ and the number in the text where they should appear' },
      ...queueOptions,
    ],
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const text = this.getNodeParameter('text', i) as string;
  const options = this.getNodeParameter('options', i, {}) as { quotedMessageId?: string; mentions?: string; linkPreview?: boolean; bulk?: boolean; sendAt?: string };
  const mentions = (options.mentions ?? '').split(',').map((m) => m.trim()).filter(Boolean);
  const body: IDataObject = {
    to: recipient(this, i),
    text,
    ...(options.quotedMessageId && { quotedMessageId: options.quotedMessageId }),
    ...(mentions.length && { mentions }),
    ...(options.linkPreview === false && { linkPreview: false }),
    ...queueFields(this, options, i),
  };
  const sent = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/messages/text`, { body, itemIndex: i });
  return [{ json: sent as IDataObject, pairedItem: { item: i } }];
}
