import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { requiredString, type Show } from '../fields';
import { sessionPath } from '../session/common';

export function campaignIdField(show: Show): INodeProperties {
  return { displayName: 'Campaign ID', name: 'campaignId', type: 'string', required: true, default: '={{ $json.id }}', description: 'ID of the campaign (from Create or Get Many)', displayOptions: { show } };
}

export function campaignPath(context: IExecuteFunctions, itemIndex: number): string {
  return `${sessionPath(context, itemIndex)}/campaigns/${encodeURIComponent(requiredString(context, 'campaignId', itemIndex, 'Campaign ID'))}`;
}

/** Pause, resume or cancel: one POST, answered with the campaign. */
export async function control(context: IExecuteFunctions, itemIndex: number, action: 'pause' | 'resume' | 'cancel'): Promise<INodeExecutionData[]> {
  const campaign = await runtimeRequest.call(context, 'POST', `${campaignPath(context, itemIndex)}/${action}`, { itemIndex });
  return [{ json: campaign as IDataObject, pairedItem: { item: itemIndex } }];
}
