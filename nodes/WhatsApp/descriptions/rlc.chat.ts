import type { INodeProperties } from 'n8n-workflow';

/** The chat to send to: a phone number, a JID, a LID or a group; defaults to the chat of the incoming event. */
export const chatRLC: INodeProperties = {
  displayName: 'Chat',
  name: 'chat',
  type: 'resourceLocator',
  default: { mode: 'id', value: '={{ $json.chatId }}' },
  required: true,
  description: 'Who receives the message. After a WhatsApp Trigger the default answers in the same chat.',
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
