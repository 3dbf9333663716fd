import type { INodeProperties } from 'n8n-workflow';
import * as create from './create.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as getInviteCode from './getInviteCode.operation';
import * as join from './join.operation';
import * as leave from './leave.operation';
import * as update from './update.operation';
import * as updateParticipants from './updateParticipants.operation';

export const operations = { create, get, getAll, getInviteCode, join, leave, update, updateParticipants };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['group'] } },
    options: [
      { name: 'Create', value: 'create', action: 'Create a group', description: 'Create a group with participants' },
      { name: 'Get', value: 'get', action: 'Get a group', description: 'Group details and participants' },
      { name: 'Get Invite Link', value: 'getInviteCode', action: 'Get a group invite link', description: 'The invite link (admins only), optionally a new one' },
      { name: 'Get Many', value: 'getAll', action: 'Get many groups', description: 'Groups this number is a member of' },
      { name: 'Join', value: 'join', action: 'Join a group', description: 'Join a group with an invite link' },
      { name: 'Leave', value: 'leave', action: 'Leave a group', description: 'Leave a group' },
      { name: 'Update', value: 'update', action: 'Update a group', description: 'Change subject, description or settings' },
      { name: 'Update Participants', value: 'updateParticipants', action: 'Update group participants', description: 'Add, remove, promote or demote participants, or answer join requests' },
    ],
    default: 'getAll',
  },
  ...create.description,
  ...get.description,
  ...getAll.description,
  ...getInviteCode.description,
  ...join.description,
  ...leave.description,
  ...update.description,
  ...updateParticipants.description,
];
