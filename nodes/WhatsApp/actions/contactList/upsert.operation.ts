import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { contactFields, contactOf, listFields, listPath } from './common';

const show = { resource: ['contactList'], operation: ['upsert'] };

export const description: INodeProperties[] = [...listFields(show), ...contactFields(show)];

/** Adds the contact of this item, or updates the list's contact with that number. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const contact = await runtimeRequest.call(this, 'POST', `${listPath(this, i)}/contacts`, { body: contactOf(this, i), itemIndex: i });
  return [{ json: contact as IDataObject, pairedItem: { item: i } }];
}
