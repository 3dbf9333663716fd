import type { INodeProperties } from 'n8n-workflow';
import * as del from './delete.operation';
import * as downloadMedia from './downloadMedia.operation';
import * as edit from './edit.operation';
import * as forward from './forward.operation';
import * as markRead from './markRead.operation';
import * as react from './react.operation';
import * as sendAndWait from './sendAndWait.operation';
import * as sendContact from './sendContact.operation';
import * as sendLocation from './sendLocation.operation';
import * as sendMedia from './sendMedia.operation';
import * as sendPoll from './sendPoll.operation';
import * as sendPresence from './sendPresence.operation';
import * as sendText from './sendText.operation';

export const operations = { delete: del, downloadMedia, edit, forward, markRead, react, sendAndWait, sendContact, sendLocation, sendMedia, sendPoll, sendPresence, sendText };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['message'] } },
    options: [
      { name: 'Delete for Everyone', value: 'delete', action: 'Delete a message for everyone', description: 'Delete a message this account sent, for everyone in the chat' },
      { name: 'Download Media', value: 'downloadMedia', action: 'Download the media of a message', description: 'Get the image, video, audio or document of a received message as binary data' },
      { name: 'Edit', value: 'edit', action: 'Edit a message', description: 'Change the text of a message this account sent' },
      { name: 'Forward', value: 'forward', action: 'Forward a message', description: 'Forward a message to another chat' },
      { name: 'Mark as Read', value: 'markRead', action: 'Mark messages as read', description: 'Send read receipts (blue ticks) for received messages' },
      { name: 'React', value: 'react', action: 'React to a message', description: 'Add an emoji reaction to a message, or remove it' },
      { name: 'Send and Wait for Response', value: 'sendAndWait', action: 'Send message and wait for response', description: 'Ask a question and continue the workflow when the recipient answers, by a WhatsApp reply or a link' },
      { name: 'Send Contact', value: 'sendContact', action: 'Send a contact card', description: 'Send a contact card someone can save or message' },
      { name: 'Send Location', value: 'sendLocation', action: 'Send a location', description: 'Send a map location' },
      { name: 'Send Media', value: 'sendMedia', action: 'Send media', description: 'Send an image, video, audio, voice note, document or sticker from binary data, a URL or base64' },
      { name: 'Send Poll', value: 'sendPoll', action: 'Send a poll', description: 'Send a poll; votes arrive as poll.vote events in the trigger' },
      { name: 'Send Text', value: 'sendText', action: 'Send a text message', description: 'Send a text to a phone number, a chat or a group' },
      { name: 'Show Typing', value: 'sendPresence', action: 'Show typing in a chat', description: 'Show "typing…" or "recording audio…" to the chat' },
    ],
    default: 'sendText',
  },
  ...del.description,
  ...downloadMedia.description,
  ...edit.description,
  ...forward.description,
  ...markRead.description,
  ...react.description,
  ...sendAndWait.description,
  ...sendContact.description,
  ...sendLocation.description,
  ...sendMedia.description,
  ...sendPoll.description,
  ...sendPresence.description,
  ...sendText.description,
];
