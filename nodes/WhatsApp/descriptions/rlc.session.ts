import type { INodeProperties } from 'n8n-workflow';

/** The session (linked WhatsApp number) an operation acts on; defaults to the session of the incoming event. */
export const sessionRLC: INodeProperties = {
  displayName: 'Session',
  name: 'session',
  type: 'resourceLocator',
  default: { mode: 'id', value: '={{ $json.session }}' },
  required: true,
  description: 'The linked WhatsApp number (a session of the runtime) to use',
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
