import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';
import { groupRLC } from '../../descriptions/rlc.group';
import { sessionRLC } from '../../descriptions/rlc.session';
import { runtimeRequest } from '../../transport';
import { sessionPath } from '../session/common';
import type { Show } from '../fields';

export function groupFields(show: Show): INodeProperties[] {
  return [
    { ...sessionRLC, displayOptions: { show } },
    { ...groupRLC, displayOptions: { show } },
  ];
}

export function groupPath(context: IExecuteFunctions, i: number): string {
  const id = String(context.getNodeParameter('group', i, '', { extractValue: true }) ?? '').trim();
  if (!id) throw new NodeOperationError(context.getNode(), 'No group given: pick a group or enter its ID', { itemIndex: i });
  return `${sessionPath(context, i)}/groups/${encodeURIComponent(id)}`;
}

/** One request about the chosen group, its JSON answer as the item. */
export async function groupRequest(context: IExecuteFunctions, i: number, method: 'GET' | 'POST' | 'PATCH', suffix = '', body?: IDataObject) {
  const result = await runtimeRequest.call(context, method, `${groupPath(context, i)}${suffix}`, { ...(body && { body }), itemIndex: i });
  return [{ json: result as IDataObject, pairedItem: { item: i } }];
}
