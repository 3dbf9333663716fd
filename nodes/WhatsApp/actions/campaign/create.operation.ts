import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { contactListRLC } from '../../descriptions/rlc.contactList';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { mediaFromSource, mediaSourceFields } from '../fields';
import { sessionPath } from '../session/common';

const show = { resource: ['campaign'], operation: ['create'] };
const showMedia = { ...show, messageType: ['image', 'video', 'document', 'audio', 'voice'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  {
    displayName: 'Send To',
    name: 'audience',
    type: 'options',
    default: 'items',
    displayOptions: { show },
    options: [
      { name: 'Input Items', value: 'items', description: 'One recipient per input item, its fields the placeholders' },
      { name: 'Contact List', value: 'list', description: 'The members of a list (optionally those with a tag); {{name}} and {{fields.city|default}} come from each contact' },
    ],
  },
  {
    displayName: 'Recipient',
    name: 'recipient',
    type: 'string',
    required: true,
    default: '={{ $json.phone }}',
    description: 'Phone number of each input item (one item per recipient); numbers not on WhatsApp are skipped and reported',
    displayOptions: { show: { ...show, audience: ['items'] } },
  },
  { ...contactListRLC, displayOptions: { show: { ...show, audience: ['list'] } } },
  { displayName: 'Only Members Tagged', name: 'listTag', type: 'string', default: '', placeholder: 'vip', description: 'Leave empty for every member; opted-out members are always skipped', displayOptions: { show: { ...show, audience: ['list'] } } },
  {
    displayName: 'Message Type',
    name: 'messageType',
    type: 'options',
    default: 'text',
    displayOptions: { show },
    options: [
      { name: 'Audio', value: 'audio' },
      { name: 'Document', value: 'document' },
      { name: 'Image', value: 'image' },
      { name: 'Text', value: 'text' },
      { name: 'Video', value: 'video' },
      { name: 'Voice Note', value: 'voice' },
    ],
  },
  {
    displayName: 'Text',
    name: 'text',
    type: 'string',
    typeOptions: { rows: 4 },
    default: '',
    placeholder: 'Hello {{name}}, your order {{order}} has shipped',
    description: 'The message (or caption) for each recipient: placeholders like {{name}} are filled from the fields of the recipient\'s input item; expressions work too',
    displayOptions: { show },
  },
  ...mediaSourceFields(showMedia),
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Campaign Name', name: 'name', type: 'string', default: '' },
      { displayName: 'Send At', name: 'sendAt', type: 'dateTime', default: '', description: 'Start the campaign at this time instead of now' },
      // documents only: a text or an image has no file name to show
      { displayName: 'File Name', name: 'fileName', type: 'string', default: '', description: 'Name shown for the document', displayOptions: { show: { '/messageType': ['document'] } } },
    ],
  },
];

/** One campaign from all input items: each item is one recipient, its fields the placeholders' values. */
export async function executeAll(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const items = this.getInputData();
  const messageType = this.getNodeParameter('messageType', 0) as string;
  const options = this.getNodeParameter('options', 0, {}) as { name?: string; sendAt?: string; fileName?: string };
  const texts = items.map((_, i) => this.getNodeParameter('text', i, '') as string);
  if (messageType === 'text' && texts.some((text) => !text.trim())) {
    throw new NodeOperationError(this.getNode(), 'Text is empty: write the message to send', { itemIndex: texts.findIndex((text) => !text.trim()) });
  }
  const toList = this.getNodeParameter('audience', 0, 'items') === 'list';
  const target = toList ? listTarget(this) : undefined;
  const recipients = toList
    ? undefined
    : items.map((item, i) => {
        const to = String(this.getNodeParameter('recipient', i, '') ?? '').trim();
        if (!to) throw new NodeOperationError(this.getNode(), `Item ${i + 1} has no recipient: map a phone number into "Recipient"`, { itemIndex: i });
        return { to, variables: primitives(item.json), ...(texts[i] !== texts[0] && { text: texts[i] }) };
      });
  const template: IDataObject = { kind: messageType, ...(messageType === 'text' ? { text: texts[0] } : { ...(texts[0] && { caption: texts[0] }), media: await mediaFromSource(this, 0) }), ...(messageType === 'document' && options.fileName && { fileName: options.fileName }) };
  if (options.sendAt && Number.isNaN(Date.parse(options.sendAt))) throw new NodeOperationError(this.getNode(), '"Send At" is not a valid date', { itemIndex: 0 });
  const body = { template, ...(recipients && { recipients }), ...(target && { list: target }), ...(options.name && { name: options.name }), ...(options.sendAt && { sendAt: new Date(options.sendAt).toISOString() }) };
  const created = (await runtimeRequest.call(this, 'POST', `${sessionPath(this, 0)}/campaigns`, { body, itemIndex: 0 })) as { campaign: IDataObject; skipped: IDataObject[] };
  return [{ json: { ...created.campaign, skipped: created.skipped }, pairedItem: items.map((_, i) => ({ item: i })) }];
}

function listTarget(context: IExecuteFunctions): IDataObject {
  const id = String(context.getNodeParameter('list', 0, '', { extractValue: true }) ?? '').trim();
  if (!id) throw new NodeOperationError(context.getNode(), 'Pick the contact list to send to', { itemIndex: 0 });
  const tag = String(context.getNodeParameter('listTag', 0, '') ?? '').trim();
  return { id, ...(tag && { tag }) };
}

/** The item's top-level text, number and boolean fields: what a placeholder can show. */
function primitives(json: IDataObject): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(json).filter((entry): entry is [string, string | number | boolean] => ['string', 'number', 'boolean'].includes(typeof entry[1])));
}
