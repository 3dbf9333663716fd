import type { INodeProperties } from 'n8n-workflow';
import * as getAll from './getAll.operation';
import * as getMessages from './getMessages.operation';
import * as markRead from './markRead.operation';
import * as update from './update.operation';

export const operations = { getAll, getMessages, markRead, update };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['chat'] } },
    options: [
      { name: 'Get Many', value: 'getAll', action: 'Get many chats', description: 'List chats, most recent first' },
      { name: 'Get Messages', value: 'getMessages', action: 'Get messages of a chat', description: 'Recent messages of a chat, newest first' },
      { name: 'Mark as Read', value: 'markRead', action: 'Mark a chat as read', description: 'Mark every message of a chat read' },
      { name: 'Update', value: 'update', action: 'Update a chat', description: 'Archive, pin or mute a chat, or undo it' },
    ],
    default: 'getAll',
  },
  ...getAll.description,
  ...getMessages.description,
  ...markRead.description,
  ...update.description,
];
