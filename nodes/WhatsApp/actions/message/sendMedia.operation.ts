import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { chatRLC } from '../../descriptions/rlc.chat';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { recipient } from './common';

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
  {
    displayName: 'Media Source',
    name: 'source',
    type: 'options',
    default: 'binary',
    displayOptions: { show },
    options: [
      { name: 'Binary Field of the Input Item', value: 'binary' },
      { name: 'URL', value: 'url' },
      { name: 'Base64 Text', value: 'base64' },
    ],
  },
  { displayName: 'Input Binary Field', name: 'binaryPropertyName', type: 'string', default: 'data', required: true, hint: 'The name of the input binary field with the file', displayOptions: { show: { ...show, source: ['binary'] } } },
  { displayName: 'URL', name: 'url', type: 'string', default: '', required: true, placeholder: 'https://example.com/photo.jpg', displayOptions: { show: { ...show, source: ['url'] } } },
  { displayName: 'Base64 Data', name: 'base64', type: 'string', default: '', required: true, description: 'The file as base64 or a data: URL', displayOptions: { show: { ...show, source: ['base64'] } } },
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
    ],
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const mediaType = this.getNodeParameter('mediaType', i) as string;
  const source = this.getNodeParameter('source', i) as 'binary' | 'url' | 'base64';
  const options = this.getNodeParameter('options', i, {}) as { caption?: string; fileName?: string; mimetype?: string; quotedMessageId?: string };
  const media: IDataObject = {};
  if (source === 'binary') {
    const field = this.getNodeParameter('binaryPropertyName', i) as string;
    const binary = this.helpers.assertBinaryData(i, field);
    const data = await this.helpers.getBinaryDataBuffer(i, field);
    media.base64 = data.toString('base64');
    if (binary.mimeType && binary.mimeType !== 'application/octet-stream') media.mimetype = binary.mimeType;
    if (binary.fileName) media.fileName = binary.fileName;
  } else if (source === 'url') {
    media.url = (this.getNodeParameter('url', i) as string).trim();
  } else {
    media.base64 = (this.getNodeParameter('base64', i) as string).trim();
  }
  if (!media.url && !media.base64) throw new NodeOperationError(this.getNode(), `No media given: fill in the ${source === 'url' ? 'URL' : 'base64 data'}`, { itemIndex: i });
  if (options.mimetype) media.mimetype = options.mimetype;
  const body: IDataObject = {
    to: recipient(this, i),
    media,
    ...(options.caption && { caption: options.caption }),
    ...(options.fileName && { fileName: options.fileName }),
    ...(options.quotedMessageId && { quotedMessageId: options.quotedMessageId }),
  };
  if (!['image', 'video', 'document'].includes(mediaType) && body.caption) throw new NodeOperationError(this.getNode(), `A ${mediaType} cannot have a caption`, { itemIndex: i });
  if (mediaType !== 'document') delete body.fileName;
  const sent = await runtimeRequest.call(this, 'POST', `${sessionPath(this, i)}/messages/${mediaType}`, { body, itemIndex: i });
  return [{ json: sent as IDataObject, pairedItem: { item: i } }];
}
