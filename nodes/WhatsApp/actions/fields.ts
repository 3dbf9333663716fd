/** Parameters several operations share: which message, and reading an input item's binary data as media. */
import { NodeOperationError, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

/** The `displayOptions.show` of a parameter. */
export type Show = NonNullable<NonNullable<INodeProperties['displayOptions']>['show']>;

export function messageIdField(show: Show, description = 'ID of the message (after a WhatsApp Trigger: {{ $json.messageId }})'): INodeProperties {
  return { displayName: 'Message ID', name: 'messageId', type: 'string', required: true, default: '={{ $json.messageId }}', description, displayOptions: { show } };
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
