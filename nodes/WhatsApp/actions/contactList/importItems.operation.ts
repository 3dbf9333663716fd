import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { contactFields, contactOf, listFields, listPath } from './common';

const show = { resource: ['contactList'], operation: ['importItems'] };

export const description: INodeProperties[] = [
  { displayName: 'All input items are imported at once, one contact per item, in batches of 1,000', name: 'importNotice', type: 'notice', default: '', displayOptions: { show } },
  ...listFields(show),
  ...contactFields(show),
];

const BATCH = 1000;

/** Every input item as a contact of the list; one output item per input item with how it went. */
export async function importItems(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const items = this.getInputData();
  if (!items.length) throw new NodeOperationError(this.getNode(), 'No input items to import', { itemIndex: 0 });
  const path = listPath(this, 0);
  const contacts = items.map((_, i) => contactOf(this, i));
  const output: INodeExecutionData[] = [];
  for (let start = 0; start < contacts.length; start += BATCH) {
    const { results } = (await runtimeRequest.call(this, 'POST', `${path}/contacts/batch`, { body: { contacts: contacts.slice(start, start + BATCH) }, itemIndex: start })) as { results: (IDataObject & { index: number })[] };
    for (const result of results) output.push({ json: result, pairedItem: { item: start + result.index } });
  }
  return output;
}
