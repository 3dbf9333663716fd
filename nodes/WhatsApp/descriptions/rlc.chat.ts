import type { INodeProperties } from 'n8n-workflow';

/** The chat to send to: a phone number, a JID, a LID or a group; left empty, the incoming item's `chatId`. */
export const chatRLC: INodeProperties = {
  displayName: 'Chat',
  name: 'chat',
  type: 'resourceLocator',
  default: { mode: 'list', value: '' },
  description: 'Who receives the message. Leave empty to answer in the chat of the incoming item (its chatId field), as after a WhatsApp Trigger.',
  modes: [
    { displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchChats', searchable: true } },
    {
      displayName: 'Phone',
      name: 'phone',
      type: 'string',
      placeholder: '+49 151 23456789',
      hint: 'With country code; checked with WhatsApp before sending',
    },
    {
      displayName: 'By Chat ID',
      name: 'id',
      type: 'string',
      placeholder: '4915123456789@s.whatsapp.net or 1203630...@g.us',
    },
  ],
};
