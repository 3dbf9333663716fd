/**
 * A stand-in for n8n's IExecuteFunctions that runs a node's real `execute` against a real runtime: parameters per
 * item, the credential, `httpRequestWithAuthentication` applying the credential's own `authenticate` definition,
 * and binary data. Only what our nodes use is provided.
 */
import { NodeApiError, type IDataObject, type IExecuteFunctions, type IHttpRequestOptions, type INode, type INodeExecutionData, type JsonObject } from 'n8n-workflow';
import { WhatsAppRuntimeApi } from '../../credentials/WhatsAppRuntimeApi.credentials';

export interface FakeContextOptions {
  /** Extra IExecuteFunctions members (for example getSignedResumeUrl, putExecutionToWait). */
  extra?: Record<string, unknown>;
  items?: INodeExecutionData[];
  parameters: IDataObject | ((itemIndex: number) => IDataObject);
  credentials: { baseUrl: string; apiKey: string };
  continueOnFail?: boolean;
}

export function makeExecuteContext(options: FakeContextOptions): { context: IExecuteFunctions; requests: IHttpRequestOptions[] } {
  const requests: IHttpRequestOptions[] = [];
  const node: INode = { id: 'n1', name: 'WhatsApp Runtime', type: 'n8n-nodes-whatsapp-runtime.whatsApp', typeVersion: 1, position: [0, 0], parameters: {} };
  const items: INodeExecutionData[] = options.items ?? [{ json: {} }];
  const credential = new WhatsAppRuntimeApi();
  const paramsFor = (i: number) => (typeof options.parameters === 'function' ? options.parameters(i) : options.parameters);
  const context = {
    getInputData: () => items,
    getNode: () => node,
    continueOnFail: () => options.continueOnFail ?? false,
    getCredentials: async () => options.credentials,
    getNodeParameter(name: string, itemIndex: number, fallback?: unknown, extra?: { extractValue?: boolean }) {
      // n8n resolves dotted paths into collections ('approvalOptions.values')
      const value = name.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), paramsFor(itemIndex));
      if (value === undefined) {
        if (fallback !== undefined) return fallback;
        throw new Error(`missing parameter ${name}`);
      }
      if (extra?.extractValue && value && typeof value === 'object' && 'value' in value) return (value as { value: unknown }).value;
      return value;
    },
    helpers: {
      async httpRequestWithAuthentication(this: unknown, _name: string, request: IHttpRequestOptions) {
        requests.push(request);
        const template = String(credential.authenticate.properties.headers!.Authorization);
        const headers = { ...(request.headers as Record<string, string>), Authorization: template.replace('{{$credentials.apiKey}}', options.credentials.apiKey).replace(/^=/, '') };
        const url = new URL(request.url);
        for (const [key, value] of Object.entries(request.qs ?? {})) url.searchParams.set(key, String(value));
        const response = await fetch(url, {
          method: request.method,
          headers: { ...headers, ...(request.body ? { 'content-type': 'application/json' } : {}) },
          body: request.body ? JSON.stringify(request.body) : undefined,
        }).catch((failure: Error & { cause?: { code?: string; errors?: { code?: string }[] } }) => {
          // a connection that fails: n8n-core wraps axios' error, which carries the system error code
          const code = failure.cause?.code ?? failure.cause?.errors?.[0]?.code ?? 'ECONNREFUSED';
          throw new NodeApiError(node, Object.assign(new Error(`connect ${code} ${url.host}`), { name: 'AxiosError', isAxiosError: true, code }) as unknown as JsonObject);
        });
        const raw = Buffer.from(await response.arrayBuffer());
        if (!response.ok) {
          // as n8n-core does: the HTTP (axios) error wrapped in a NodeApiError with n8n's generic text for the status
          const data = request.encoding === 'arraybuffer' ? raw : JSON.parse(raw.toString() || '{}');
          const error = Object.assign(new Error(`Request failed with status code ${response.status}`), { name: 'AxiosError', isAxiosError: true, response: { status: response.status, data } });
          throw new NodeApiError(node, error as unknown as JsonObject);
        }
        const body = request.encoding === 'arraybuffer' ? raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length) : raw.length ? JSON.parse(raw.toString()) : {};
        return request.returnFullResponse ? { body, headers: Object.fromEntries(response.headers), statusCode: response.status } : body;
      },
      assertBinaryData(itemIndex: number, field: string) {
        const binary = items[itemIndex]?.binary?.[field];
        if (!binary) throw new Error(`item ${itemIndex} has no binary field "${field}"`);
        return binary;
      },
      async getBinaryDataBuffer(itemIndex: number, field: string) {
        return Buffer.from(items[itemIndex]!.binary![field].data, 'base64');
      },
      async prepareBinaryData(data: Buffer, fileName: string, mimeType: string) {
        return { data: data.toString('base64'), fileName, mimeType, fileSize: String(data.length) };
      },
    },
  };
  return { context: { ...context, ...options.extra } as unknown as IExecuteFunctions, requests };
}

/** IHookFunctions for a trigger's webhookMethods: the webhook URL, static data, parameters and the credential. */
export function makeHookContext(options: { webhookUrl: string; staticData: IDataObject; parameters: IDataObject; credentials: { baseUrl: string; apiKey: string } }) {
  const { context } = makeExecuteContext({ parameters: options.parameters, credentials: options.credentials });
  const base = context as unknown as Record<string, unknown>;
  return {
    ...base,
    getNodeWebhookUrl: () => options.webhookUrl,
    getWorkflowStaticData: () => options.staticData,
    getWorkflow: () => ({ id: 'wf1', name: 'Test workflow', active: true }),
    getNodeParameter: (name: string, fallback?: unknown) => (base.getNodeParameter as (n: string, i: number, f?: unknown) => unknown)(name, 0, fallback),
  } as unknown as import('n8n-workflow').IHookFunctions;
}

/** IWebhookFunctions for one incoming request; `response` records what the trigger answered itself. */
export function makeWebhookContext(options: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer; staticData: IDataObject; parameters: IDataObject; credentials?: { baseUrl: string; apiKey: string }; mode?: 'webhook' | 'manual' }) {
  const execute = options.credentials ? (makeExecuteContext({ parameters: {}, credentials: options.credentials }).context as unknown as Record<string, unknown>) : {};
  const response = { statusCode: 200, body: undefined as unknown };
  const node: INode = { id: 't1', name: 'WhatsApp Runtime Trigger', type: 'n8n-nodes-whatsapp-runtime.whatsAppTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
  const context = {
    ...(options.credentials && { getCredentials: execute.getCredentials, helpers: execute.helpers }),
    getNode: () => node,
    // n8n's mode: 'webhook' for the production URL of a published workflow, 'manual' for the editor's test URL
    getMode: () => options.mode ?? 'webhook',
    getWorkflowStaticData: () => options.staticData,
    getNodeParameter: (name: string, fallback?: unknown) => options.parameters[name] ?? fallback,
    getRequestObject: () => ({ headers: options.headers, rawBody: options.rawBody, body: JSON.parse(options.rawBody.toString('utf8')) }),
    getResponseObject: () => ({
      status(code: number) {
        response.statusCode = code;
        return this;
      },
      json(body: unknown) {
        response.body = body;
        return this;
      },
    }),
  };
  return { context: context as unknown as import('n8n-workflow').IWebhookFunctions, response };
}
