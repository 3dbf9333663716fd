import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { recipient } from './common';
import { mediaFromSource, mediaSourceFields, queueFields, queueOptions } from '../fields';

const show = { resource: ['message'], operation: ['sendMedia'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  { ...chatRLC, displayOptions: { show } },
  {
    displayName: 'Media Type',
    name: 'mediaType',
    type: 'options',
    default: 'image',
    displayOptions: { show },
    options: [
      { name: 'Audio', value: 'audio', description: 'An audio file played as music' },
      { name: 'Document', value: 'document', description: 'Any file, shown with its file name' },
      { name: 'Image', value: 'image', description: 'JPEG, PNG or WebP' },
      { name: 'Sticker', value: 'sticker', description: 'A WebP image' },
      { name: 'Video', value: 'video', description: 'MP4 or 3GPP' },
      { name: 'Voice Note', value: 'voice', description: 'Any audio, played as a voice message (converted to OGG/Opus)' },
    ],
  },
  ...mediaSourceFields(show),
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Caption', name: 'caption', type: 'string', default: '', description: 'Text under an image, video or document' },
      { displayName: 'File Name', name: 'fileName', type: 'string', default: '', description: 'Name shown for a document (defaults to the binary file name)' },
      { displayName: 'MIME Type', name: 'mimetype', type: 'string', default: '', placeholder: 'application/pdf', description: 'Overrides the detected type' },
      { displayName: 'Reply To Message ID', name: 'quotedMessageId', type: 'string', default: '' },
      ...queueOptions,
    ],
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const mediaType = this.getNodeParameter('mediaType', i) as string;
  const options = this.getNodeParameter('options', i, {}) as { caption?: string; fileName?: string; mimetype?: string; quotedMessageId?: string; bulk?: boolean; sendAt?: string };
  const media = await mediaFromSource(this, i);
  if (options.mimetype) media.mimetype = options.mimetype;
  const body: IDataObject = {
    to: recipient(this, i),
    media,
    ...(options.caption && { caption: options.caption }),
    ...(options.fileName && { fileName: options.fileName }),
    ...(options.quotedMessageId && { quotedMessageId: options.quotedMessageId }),
    ...queueFields(this, options, i),
  };
  if (!['image', 'video', 'document'].includes(mediaType) && body.caption) throw new NodeOperationError(this.getNode(), `A ${mediaType} cannot have a caption`, { itemIndex: i });
  if (mediaType !== 'document') delete body.fileName;
  const sent = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/messages/${mediaType}`, { body, itemIndex: i });
  return [{ json: sent as IDataObject, pairedItem: { item: i } }];
}
