import type { INodeProperties } from 'n8n-workflow';
import * as block from './block.operation';
import * as check from './check.operation';
import * as get from './get.operation';
import * as getPicture from './getPicture.operation';
import * as unblock from './unblock.operation';

export const operations = { block, check, get, getPicture, unblock };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['contact'] } },
    options: [
      { name: 'Block', value: 'block', action: 'Block a contact', description: 'Block a contact' },
      { name: 'Check on WhatsApp', value: 'check', action: 'Check phone numbers', description: 'Check which phone numbers have WhatsApp' },
      { name: 'Get', value: 'get', action: 'Get a contact', description: 'About text, picture URL and business profile of a contact' },
      { name: 'Get Picture', value: 'getPicture', action: 'Get a contact picture', description: 'The profile picture URL of a contact or group' },
      { name: 'Unblock', value: 'unblock', action: 'Unblock a contact', description: 'Unblock a contact' },
    ],
    default: 'check',
  },
  ...block.description,
  ...check.description,
  ...get.description,
  ...getPicture.description,
  ...unblock.description,
];
