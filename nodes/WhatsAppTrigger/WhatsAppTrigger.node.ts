import { randomBytes } from 'node:crypto';
import {
  NodeApiError,
  NodeConnectionTypes,
  NodeOperationError,
  type IDataObject,
  type INodeExecutionData,
  type IHookFunctions,
  type ILoadOptionsFunctions,
  type INodePropertyOptions,
  type INodeType,
  type INodeTypeDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
  type JsonObject,
} from 'n8n-workflow';
import { searchSessions } from '../WhatsApp/methods/listSearch';
import { CREDENTIAL_NAME, runtimeRequest } from '../WhatsApp/transport';
import { EVENT_TYPE_NAMES, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/contract';
import { flatten, parseNumbers, rejectionReason, sessionList, wanted, type IncomingEvent, type TriggerFilters } from './filters';

const EVENT_OPTIONS = Object.entries(EVENT_TYPE_NAMES)
  .map(([value, name]) => ({ name, value }))
  .sort((a, b) => a.name.localeCompare(b.name));

/** Signed requests older than this are refused (replays). */
const MAX_AGE_SECONDS = 300;

/**
 * Events this process already started a workflow for, by trigger node and event id, kept as long as a signature
 * stays valid: a captured request sent again, or a delivery the runtime repeats, starts nothing the second time.
 */
const accepted = new Map<string, number>();

/** True the first time `key` is seen within the signature window. */
function firstTime(key: string, now = Date.now()): boolean {
  for (const [seen, at] of accepted) {
    if (at > now - MAX_AGE_SECONDS * 1000) break;
    accepted.delete(seen);
  }
  if (accepted.has(key)) return false;
  accepted.set(key, now);
  return true;
}

interface StaticData {
  subscriptionId?: string;
  secret?: string;
  url?: string;
}

export class WhatsAppTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'WhatsApp Runtime Trigger',
    name: 'whatsAppTrigger',
    icon: { light: 'file:../../icons/whatsapp-runtime.svg', dark: 'file:../../icons/whatsapp-runtime.dark.svg' },
    group: ['trigger'],
    // 2: Sessions is a multi-select of the runtime's sessions (1: comma-separated IDs)
    version: [1, 2],
    defaultVersion: 2,
    subtitle: '={{$parameter["events"].join(", ")}}',
    description: 'Starts the workflow on WhatsApp messages and other events of your WhatsApp runtime',
    defaults: { name: 'WhatsApp Runtime Trigger' },
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: CREDENTIAL_NAME, required: true }],
    webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' }],
    properties: [
      {
        displayName: 'Events',
        name: 'events',
        type: 'multiOptions',
        options: EVENT_OPTIONS,
        default: ['message.received'],
        required: true,
        description: 'Which events start the workflow',
      },
      {
        displayName: 'Sessions',
        name: 'sessions',
        type: 'string',
        default: '',
        placeholder: 'sales, support',
        description: 'Only these sessions (comma-separated IDs); empty for every session of the runtime',
        displayOptions: { show: { '@version': [1] } },
      },
      {
        displayName: 'Sessions Names or IDs',
        name: 'sessions',
        type: 'multiOptions',
        typeOptions: { loadOptionsMethod: 'getSessions' },
        default: [],
        description: 'Only events of these sessions; none selected for every session of the runtime. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
        displayOptions: { show: { '@version': [2] } },
      },
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Filter',
        default: {},
        options: [
          { displayName: 'Chat Type', name: 'chatType', type: 'options', options: [{ name: 'All Chats', value: 'all' }, { name: 'Direct Chats Only', value: 'direct' }, { name: 'Groups Only', value: 'group' }], default: 'all' },
          { displayName: 'Download Media', name: 'downloadMedia', type: 'boolean', default: false, description: 'Whether to attach the image, video, audio or document of a message as binary data (field "data")' },
          { displayName: 'Ignore Own Messages', name: 'ignoreOwnMessages', type: 'boolean', default: true, description: 'Whether to skip messages sent by the linked number itself' },
          {
            displayName: 'Message Kinds',
            name: 'messageKinds',
            type: 'multiOptions',
            options: ['audio', 'contact', 'document', 'image', 'location', 'poll', 'sticker', 'text', 'video', 'voice'].map((kind) => ({ name: kind[0].toUpperCase() + kind.slice(1), value: kind })),
            default: [],
            description: 'Only these kinds of message; none selected means every kind',
          },
          { displayName: 'Only From Numbers', name: 'fromNumbers', type: 'string', default: '', placeholder: '+49 151 2345678, +1 555 0100', description: 'Only events from these phone numbers (comma-separated, with country code)' },
          { displayName: 'Text Contains', name: 'textContains', type: 'string', default: '', description: 'Only messages whose text contains this (case-insensitive)' },
          { displayName: 'Text Matches Regex', name: 'textRegex', type: 'string', default: '', placeholder: '^order\\s+\\d+', description: 'Only messages whose text matches this regular expression' },
        ],
      },
    ],
  };

  methods = {
    loadOptions: {
      async getSessions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
        return (await searchSessions.call(this)).results.map(({ name, value }) => ({ name, value }));
      },
    },
  };

  webhookMethods = {
    default: {
      async checkExists(this: IHookFunctions): Promise<boolean> {
        const data = this.getWorkflowStaticData('node') as StaticData;
        if (!data.subscriptionId || data.url !== this.getNodeWebhookUrl('default')) return false;
        try {
          await runtimeRequest.call(this, 'GET', `/webhooks/${encodeURIComponent(data.subscriptionId)}`);
          return true;
        } catch (error) {
          if ((error as NodeApiError).httpCode === '404') return false;
          throw new NodeApiError(this.getNode(), error as JsonObject);
        }
      },
      async create(this: IHookFunctions): Promise<boolean> {
        const url = this.getNodeWebhookUrl('default') as string;
        const secret = `whsec_${randomBytes(32).toString('base64url')}`;
        const body = {
          url,
          events: this.getNodeParameter('events') as string[],
          sessions: sessionList(this.getNodeParameter('sessions', '') as string | string[]),
          secret,
          description: `n8n workflow "${this.getWorkflow().name ?? this.getWorkflow().id}" node "${this.getNode().name}"`,
        };
        const created = (await runtimeRequest.call(this, 'POST', '/webhooks', { body })) as { id: string; created: boolean };
        // an existing subscription for the same URL and filter is reused: give it this activation's secret
        if (!created.created) await runtimeRequest.call(this, 'PATCH', `/webhooks/${created.id}`, { body: { secret, enabled: true } });
        Object.assign(this.getWorkflowStaticData('node'), { subscriptionId: created.id, secret, url } satisfies StaticData);
        return true;
      },
      async delete(this: IHookFunctions): Promise<boolean> {
        const data = this.getWorkflowStaticData('node') as StaticData;
        if (data.subscriptionId) {
          try {
            await runtimeRequest.call(this, 'DELETE', `/webhooks/${encodeURIComponent(data.subscriptionId)}`);
          } catch (error) {
            if ((error as NodeApiError).httpCode !== '404') throw new NodeApiError(this.getNode(), error as JsonObject);
          }
        }
        delete data.subscriptionId;
        delete data.secret;
        delete data.url;
        return true;
      },
    },
  };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const request = this.getRequestObject();
    const response = this.getResponseObject();
    const { secret } = this.getWorkflowStaticData('node') as StaticData;
    const raw = (request as unknown as { rawBody?: Buffer }).rawBody?.toString('utf8') ?? JSON.stringify(request.body);
    const timestamp = String(request.headers[TIMESTAMP_HEADER] ?? '');
    const signature = String(request.headers[SIGNATURE_HEADER] ?? '');
    if (!secret || !verifySignature(secret, timestamp, raw, signature, MAX_AGE_SECONDS)) {
      response.status(401).json({ error: 'invalid or stale signature' });
      return { noWebhookResponse: true };
    }
    const event = request.body as IncomingEvent;
    // a test event (the dashboard's "Send test event") reaches a workflow listening in the editor (n8n's test URL, mode
    // "manual") whatever its filters, and never starts the published one; a type or session not listened to starts nothing
    const isTest = event.type === 'webhook.test';
    const ignored = isTest ? this.getMode() !== 'manual' : !wanted(this.getNodeParameter('events') as string[], this.getNodeParameter('sessions', '') as string | string[], event);
    if (ignored) return { webhookResponse: { received: true, ignored: event.type } };
    if (!firstTime(`${this.getNode().id}|${event.id}`)) return { webhookResponse: { received: true, duplicate: true } };
    const options = this.getNodeParameter('options', {}) as IDataObject;
    let textRegex: RegExp | undefined;
    if (options.textRegex) {
      try {
        textRegex = new RegExp(String(options.textRegex), 'i');
      } catch {
        throw new NodeOperationError(this.getNode(), `"${String(options.textRegex)}" is not a valid regular expression`);
      }
    }
    const filters: TriggerFilters = {
      ignoreOwnMessages: options.ignoreOwnMessages !== false,
      chatType: (options.chatType as TriggerFilters['chatType']) ?? 'all',
      fromNumbers: parseNumbers(String(options.fromNumbers ?? '')),
      textContains: String(options.textContains ?? ''),
      textRegex,
      messageKinds: (options.messageKinds as string[]) ?? [],
    };
    if (!isTest && rejectionReason(event, filters)) return { webhookResponse: { received: true } };
    const item: INodeExecutionData = { json: flatten(event) as IDataObject };
    const data = event.data as { media?: unknown; messageId?: string; chatId?: string } | undefined;
    if (options.downloadMedia && data?.media && data.messageId && data.chatId) {
      // the event is never lost to a failed download: it carries the reason instead of the file
      try {
        const path = `/sessions/${encodeURIComponent(event.session)}/messages/${encodeURIComponent(data.messageId)}/media`;
        const { body, headers } = (await runtimeRequest.call(this, 'GET', path, { qs: { chatId: data.chatId }, binary: true, fullResponse: true })) as unknown as { body: Buffer; headers: Record<string, string> };
        const fileName = /filename\*=UTF-8''([^;]+)/.exec(headers['content-disposition'] ?? '')?.[1];
        item.binary = { data: await this.helpers.prepareBinaryData(body, fileName ? decodeURIComponent(fileName) : undefined, headers['content-type']) };
      } catch (error) {
        item.json.mediaError = (error as Error).message;
      }
    }
    return { workflowData: [[item]] };
  }
}
