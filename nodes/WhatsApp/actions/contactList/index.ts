import type { INodeProperties } from 'n8n-workflow';
import * as create from './create.operation';
import * as get from './get.operation';
import * as getMembers from './getMembers.operation';
import * as importItems from './importItems.operation';
import * as remove from './remove.operation';
import * as upsert from './upsert.operation';

export { importItems } from './importItems.operation';
export const operations = { create, get, getMembers, remove, upsert };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['contactList'] } },
    options: [
      { name: 'Create List', value: 'create', action: 'Create a contact list', description: 'Create a contact list of the session' },
      { name: 'Create or Update', value: 'upsert', action: 'Create or update a contact in a list', description: 'Create a new record, or update the current one if it already exists (upsert)' },
      { name: 'Get Contact', value: 'get', action: 'Get a contact of a list', description: 'A member of a list, with opt-out and WhatsApp status' },
      { name: 'Get Members', value: 'getMembers', action: 'Get the members of a list', description: 'The members of a list, filtered by tag, opt-out or search' },
      { name: 'Import Items', value: 'importItems', action: 'Import the input items into a list', description: 'All input items as contacts at once (each answered: created, updated or skipped)' },
      { name: 'Remove Contact', value: 'remove', action: 'Remove a contact from a list', description: 'Remove a member from a list' },
    ],
    default: 'upsert',
  },
  ...create.description,
  ...get.description,
  ...getMembers.description,
  ...importItems.description,
  ...remove.description,
  ...upsert.description,
];
