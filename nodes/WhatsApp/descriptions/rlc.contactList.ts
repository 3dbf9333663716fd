import type { INodeProperties } from 'n8n-workflow';

/** A contact list of the session: picked from a searchable list, or by its ID. */
export const contactListRLC: INodeProperties = {
  displayName: 'Contact List',
  name: 'list',
  type: 'resourceLocator',
  default: { mode: 'list', value: '' },
  required: true,
  description: 'The contact list to use',
  modes: [
    { displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchContactLists', searchable: true } },
    { displayName: 'By ID', name: 'id', type: 'string', placeholder: 'lst_0123456789abcdef' },
  ],
};
