import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription, type IWebhookFunctions, type IWebhookResponseData } from 'n8n-workflow';
import { sendAndWaitWebhooks, webhook as sendAndWaitWebhook } from './actions/message/sendAndWait.operation';
import { router } from './actions/router';
import * as campaign from './actions/campaign';
import * as chat from './actions/chat';
import * as contact from './actions/contact';
import * as contactList from './actions/contactList';
import * as group from './actions/group';
import * as message from './actions/message';
import * as session from './actions/session';
import { searchChats, searchContactLists, searchGroups, searchSessions } from './methods/listSearch';

export class WhatsApp implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'WhatsApp Runtime',
    name: 'whatsApp',
    icon: { light: 'file:../../icons/whatsapp-runtime.svg', dark: 'file:../../icons/whatsapp-runtime.dark.svg' },
    group: ['output'],
    version: 1,
    subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
    description: 'Link WhatsApp numbers and send messages through your own WhatsApp runtime',
    defaults: { name: 'WhatsApp Runtime' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: 'whatsAppRuntimeApi', required: true }],
    // Send and Wait: n8n resumes the waiting execution through these (signed URLs, see sendAndWait.operation.ts)
    webhooks: sendAndWaitWebhooks,
    properties: [
      {
        displayName: 'Resource',
        name: 'resource',
        type: 'options',
        noDataExpression: true,
        options: [
          { name: 'Campaign', value: 'campaign', description: 'Bulk messages: one template, many recipients, paced' },
          { name: 'Chat', value: 'chat', description: 'Conversations: list, read, archive, mute' },
          { name: 'Contact', value: 'contact', description: 'People: check numbers, profiles, block' },
          { name: 'Contact List', value: 'contactList', description: 'Audiences: lists of contacts with fields and tags, for campaigns' },
          { name: 'Group', value: 'group', description: 'Groups: create, members, settings, invites' },
          { name: 'Message', value: 'message', description: 'Send and act on WhatsApp messages' },
          { name: 'Session', value: 'session', description: 'A linked WhatsApp number' },
        ],
        default: 'message',
      },
      ...campaign.description,
      ...chat.description,
      ...contact.description,
      ...contactList.description,
      ...group.description,
      ...message.description,
      ...session.description,
    ],
  };

  methods = { listSearch: { searchChats, searchContactLists, searchGroups, searchSessions } };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    return router.call(this);
  }

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    return sendAndWaitWebhook.call(this);
  }
}
