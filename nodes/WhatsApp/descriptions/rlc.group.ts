import type { INodeProperties } from 'n8n-workflow';

/** A group of the session: picked from a searchable list, or by its ID. */
export const groupRLC: INodeProperties = {
  displayName: 'Group',
  name: 'group',
  type: 'resourceLocator',
  default: { mode: 'list', value: '' },
  required: true,
  description: 'The group to act on',
  modes: [
    { displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchGroups', searchable: true } },
    { displayName: 'By ID', name: 'id', type: 'string', placeholder: '120363012345678901@g.us' },
  ],
};
