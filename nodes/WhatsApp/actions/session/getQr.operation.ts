import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionId, sessionPath } from './common';

const show = { resource: ['session'], operation: ['getQr'] };

export const description: INodeProperties[] = [
  { ...sessionRLC, displayOptions: { show } },
  {
    displayName: 'Put Output File in Field',
    name: 'binaryPropertyName',
    type: 'string',
    default: 'data',
    required: true,
    description: 'The name of the binary field the QR code image (PNG) is written to',
    displayOptions: { show },
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const id = sessionId(this, i);
  const png = (await runtimeRequest.call(this, 'GET', `${sessionPath(this, i)}/qr`, { qs: { format: 'png' }, itemIndex: i, binary: true })) as unknown as Buffer;
  const binaryPropertyName = this.getNodeParameter('binaryPropertyName', i) as string;
  const binary = await this.helpers.prepareBinaryData(png, `whatsapp-qr-${id}.png`, 'image/png');
  return [{ json: { session: id }, binary: { [binaryPropertyName]: binary }, pairedItem: { item: i } }];
}
