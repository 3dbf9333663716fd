import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';
import { contactListRLC } from '../../descriptions/rlc.contactList';
import { sessionRLC } from '../../descriptions/rlc.session';
import { sessionPath } from '../session/common';
import type { Show } from '../fields';

/** Session and list pickers of an operation on a list. */
export function listFields(show: Show): INodeProperties[] {
  return [{ ...sessionRLC, displayOptions: { show } }, { ...contactListRLC, displayOptions: { show } }];
}

export function listPath(context: IExecuteFunctions, i: number): string {
  const id = String(context.getNodeParameter('list', i, '', { extractValue: true }) ?? '').trim();
  if (!id) throw new NodeOperationError(context.getNode(), 'Pick a contact list', { itemIndex: i });
  return `${sessionPath(context, i)}/lists/${encodeURIComponent(id)}`;
}

/** The contact fields of an operation: number, name, custom fields, tags (each read per item). */
export function contactFields(show: Show): INodeProperties[] {
  return [
    { displayName: 'Phone Number', name: 'phone', type: 'string', default: '={{ $json.phone }}', required: true, placeholder: '+49 151 23456789', description: 'With country code, or in the list\'s default country', displayOptions: { show } },
    { displayName: 'Name', name: 'name', type: 'string', default: '', displayOptions: { show } },
    {
      displayName: 'Fields',
      name: 'fields',
      type: 'fixedCollection',
      typeOptions: { multipleValues: true },
      default: {},
      placeholder: 'Add Field',
      description: 'Custom fields of the contact, for {{fields.name}} placeholders in campaigns',
      displayOptions: { show },
      options: [{ displayName: 'Field', name: 'field', values: [{ displayName: 'Name', name: 'name', type: 'string', default: '' }, { displayName: 'Value', name: 'value', type: 'string', default: '' }] }],
    },
    { displayName: 'Tags', name: 'tags', type: 'string', default: '', placeholder: 'vip, newsletter', description: 'Comma-separated', displayOptions: { show } },
  ];
}

/** A contact from the item's parameters. Field values are sent as typed: numbers and booleans stay what they are. */
export function contactOf(context: IExecuteFunctions, i: number): IDataObject {
  const phone = String(context.getNodeParameter('phone', i, '') ?? '').trim();
  if (!phone) throw new NodeOperationError(context.getNode(), 'Phone Number is empty', { itemIndex: i });
  const name = String(context.getNodeParameter('name', i, '') ?? '').trim();
  const pairs = (context.getNodeParameter('fields', i, {}) as { field?: { name: string; value: unknown }[] }).field ?? [];
  const fields: IDataObject = {};
  for (const { name: field, value } of pairs) if (field.trim()) fields[field.trim()] = value as IDataObject[string];
  const tags = String(context.getNodeParameter('tags', i, '') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return { phone, ...(name && { name }), ...(Object.keys(fields).length && { fields }), ...(tags.length && { tags }) };
}
