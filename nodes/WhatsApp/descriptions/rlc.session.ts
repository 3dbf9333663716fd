import type { INodeProperties } from 'n8n-workflow';

/**
 * The session (linked WhatsApp number) an operation acts on. It starts in list mode, so "From list" works at once;
 * left empty, the incoming item's `session` is used (after a trigger or a session operation).
 */
export const sessionRLC: INodeProperties = {
  displayName: 'Session',
  name: 'session',
  type: 'resourceLocator',
  default: { mode: 'list', value: '' },
  description: 'The linked WhatsApp number (a session of the runtime) to use. Leave empty to use the session field of the incoming item.',
  modes: [
    {
      displayName: 'From List',
      name: 'list',
      type: 'list',
      typeOptions: { searchListMethod: 'searchSessions', searchable: true },
    },
    {
      displayName: 'By ID',
      name: 'id',
      type: 'string',
      placeholder: 'sales',
      validation: [
        {
          type: 'regex',
          properties: { regex: '^[A-Za-z0-9_-]{1,64}$|^=.*', errorMessage: 'Use letters, digits, "-" and "_" only' },
        },
      ],
    },
  ],
};
