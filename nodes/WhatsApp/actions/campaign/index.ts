import type { INodeProperties } from 'n8n-workflow';
import * as cancel from './cancel.operation';
import * as create from './create.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as getRecipients from './getRecipients.operation';
import * as pause from './pause.operation';
import * as resume from './resume.operation';

/** Create runs once for all input items (see router); the others once per item. */
export const operations = { cancel, get, getAll, getRecipients, pause, resume };
export const createCampaign = create.executeAll;

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['campaign'] } },
    options: [
      { name: 'Cancel', value: 'cancel', action: 'Cancel a campaign', description: 'Stop a campaign for good; queued messages are dropped' },
      { name: 'Create', value: 'create', action: 'Create a campaign', description: 'Send one message to many people, paced to protect the number: one input item per recipient' },
      { name: 'Get', value: 'get', action: 'Get a campaign', description: 'A campaign with its progress (queued, sent, delivered, read, failed, skipped)' },
      { name: 'Get Many', value: 'getAll', action: 'Get many campaigns', description: 'Campaigns of a session, newest first' },
      { name: 'Get Recipients', value: 'getRecipients', action: 'Get recipients of a campaign', description: 'Each recipient with its status' },
      { name: 'Pause', value: 'pause', action: 'Pause a campaign', description: 'Hold the messages not sent yet' },
      { name: 'Resume', value: 'resume', action: 'Resume a campaign', description: 'Continue a paused campaign' },
    ],
    default: 'create',
  },
  ...create.description,
  ...get.description,
  ...getAll.description,
  ...getRecipients.description,
  ...pause.description,
  ...resume.description,
  ...cancel.description,
];
