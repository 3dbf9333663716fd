import type { INodeProperties } from 'n8n-workflow';
import * as create from './create.operation';
import * as del from './delete.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as getQr from './getQr.operation';
import * as logout from './logout.operation';
import * as requestPairingCode from './requestPairingCode.operation';

export const operations = { create, delete: del, get, getAll, getQr, logout, requestPairingCode };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['session'] } },
    options: [
      { name: 'Create', value: 'create', action: 'Create a session', description: 'Add a session to link a WhatsApp number to' },
      { name: 'Delete', value: 'delete', action: 'Delete a session', description: 'Log out and remove a session with its stored data' },
      { name: 'Get', value: 'get', action: 'Get a session', description: 'Get the status and linked number of a session' },
      { name: 'Get Many', value: 'getAll', action: 'Get many sessions', description: 'List many sessions and their status' },
      { name: 'Get QR Code', value: 'getQr', action: 'Get the QR code of a session', description: 'Get the QR code to scan with WhatsApp as a PNG image' },
      { name: 'Logout', value: 'logout', action: 'Log out a session', description: 'Unlink the WhatsApp number from the session' },
      { name: 'Request Pairing Code', value: 'requestPairingCode', action: 'Request a pairing code', description: 'Link a number by typing a code on the phone instead of scanning a QR code' },
    ],
    default: 'getAll',
  },
  ...create.description,
  ...del.description,
  ...get.description,
  ...getAll.description,
  ...getQr.description,
  ...logout.description,
  ...requestPairingCode.description,
];
