import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import { targetFields } from './actOn';
import { recipient } from './common';

const show = { resource: ['message'], operation: ['downloadMedia'] };

export const description: INodeProperties[] = [
  ...targetFields(show),
  { displayName: 'Put Output File in Field', name: 'binaryPropertyName', type: 'string', default: 'data', required: true, description: 'The binary field the media is written to', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const messageId = this.getNodeParameter('messageId', i) as string;
  const response = await runtimeRequest.call(this, 'GET', `${sessionPath(this, i)}/messages/${encodeURIComponent(messageId)}/media`, { qs: { chatId: recipient(this, i) }, itemIndex: i, binary: true, fullResponse: true });
  const { body, headers } = response as unknown as { body: Buffer; headers: Record<string, string> };
  const fileName = /filename\*=UTF-8''([^;]+)/.exec(headers['content-disposition'] ?? '')?.[1];
  const binaryPropertyName = this.getNodeParameter('binaryPropertyName', i) as string;
  const binary = await this.helpers.prepareBinaryData(body, fileName ? decodeURIComponent(fileName) : undefined, headers['content-type']);
  const item = this.getInputData()[i];
  return [{ json: { ...item?.json, messageId }, binary: { ...item?.binary, [binaryPropertyName]: binary }, pairedItem: { item: i } }];
}
