/** Parameters several operations share: which message, and reading an input item's binary data as media. */
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

/** The `displayOptions.show` of a parameter. */
export type Show = NonNullable<NonNullable<INodeProperties['displayOptions']>['show']>;

export function messageIdField(show: Show, description = 'ID of the message (after a WhatsApp Trigger: {{ $json.messageId }})'): INodeProperties {
  return { displayName: 'Message ID', name: 'messageId', type: 'string', required: true, default: '={{ $json.messageId }}', description, displayOptions: { show } };
}

/** A resource locator's value, or when it is left empty the input item's `field` (what a trigger or the previous operation output). */
export function locatorOrItem(context: IExecuteFunctions, name: string, itemIndex: number, field: string): string {
  const value = String(context.getNodeParameter(name, itemIndex, '', { extractValue: true }) ?? '').trim();
  if (value) return value;
  const fromItem = context.getInputData()[itemIndex]?.json[field];
  return typeof fromItem === 'string' ? fromItem.trim() : '';
}

export function requiredString(context: IExecuteFunctions, name: string, itemIndex: number, label: string): string {
  const value = String(context.getNodeParameter(name, itemIndex, '') ?? '').trim();
  if (!value) throw new NodeOperationError(context.getNode(), `${label} is empty`, { itemIndex });
  return value;
}

/** A comma- or newline-separated list parameter as an array. */
export function listParameter(context: IExecuteFunctions, name: string, itemIndex: number, separator = /[\n,]/): string[] {
  const raw = context.getNodeParameter(name, itemIndex, '') as string | string[];
  return (Array.isArray(raw) ? raw : String(raw).split(separator)).map((v) => String(v).trim()).filter(Boolean);
}

/** Where a send's file comes from: any binary field of the input item, a URL, or base64 text. */
export function mediaSourceFields(show: Show): INodeProperties[] {
  return [
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
  ];
}

/** The runtime's `media` object (`{base64 | url, mimetype?, fileName?}`) from the fields of `mediaSourceFields`. */
export async function mediaFromSource(context: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const source = context.getNodeParameter('source', itemIndex) as 'binary' | 'url' | 'base64';
  const media: IDataObject = {};
  if (source === 'binary') {
    const field = context.getNodeParameter('binaryPropertyName', itemIndex) as string;
    const binary = context.helpers.assertBinaryData(itemIndex, field);
    const data = await context.helpers.getBinaryDataBuffer(itemIndex, field);
    media.base64 = data.toString('base64');
    if (binary.mimeType && binary.mimeType !== 'application/octet-stream') media.mimetype = binary.mimeType;
    if (binary.fileName) media.fileName = binary.fileName;
  } else if (source === 'url') {
    media.url = (context.getNodeParameter('url', itemIndex) as string).trim();
  } else {
    media.base64 = (context.getNodeParameter('base64', itemIndex) as string).trim();
  }
  if (!media.url && !media.base64) throw new NodeOperationError(context.getNode(), `No media given: fill in the ${source === 'url' ? 'URL' : 'base64 data'}`, { itemIndex });
  return media;
}

/** Send options that queue the message in the runtime instead of sending it now. */
export const queueOptions: INodeProperties[] = [
  { displayName: 'Paced Bulk Send', name: 'bulk', type: 'boolean', default: false, description: 'Whether to queue the message behind the session\'s pacing (gaps, hourly and daily caps) instead of sending it now; use for loops over many recipients' },
  { displayName: 'Send At', name: 'sendAt', type: 'dateTime', default: '', description: 'Queue the message until this time' },
];

export function queueFields(context: IExecuteFunctions, options: { bulk?: boolean; sendAt?: string }, itemIndex: number): IDataObject {
  if (options.sendAt && Number.isNaN(Date.parse(options.sendAt))) throw new NodeOperationError(context.getNode(), '"Send At" is not a valid date', { itemIndex });
  return { ...(options.bulk && { lane: 'bulk' }), ...(options.sendAt && { sendAt: new Date(options.sendAt).toISOString() }) };
}
