/**
 * transport: the one place the node talks HTTP to the runtime, through the credential (URL + API key). Runtime
 * errors (`{error:{code,message}}`) become NodeApiErrors with a message a no-code user can act on.
 */
import {
  NodeApiError,
  type IDataObject,
  type IExecuteFunctions,
  type IHookFunctions,
  type IWebhookFunctions,
  type IHttpRequestMethods,
  type IHttpRequestOptions,
  type ILoadOptionsFunctions,
  type JsonObject,
} from 'n8n-workflow';

export const CREDENTIAL_NAME = 'whatsAppRuntimeApi';

type Context = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions | IWebhookFunctions;

export interface RequestOptions {
  body?: IDataObject;
  qs?: IDataObject;
  itemIndex?: number;
  /** Return the raw body as a Buffer (images, media). */
  binary?: boolean;
  /** Return `{ body, headers, statusCode }` instead of the body. */
  fullResponse?: boolean;
}

export async function runtimeRequest<T = IDataObject>(
  this: Context,
  method: IHttpRequestMethods,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const credentials = await this.getCredentials(CREDENTIAL_NAME);
  const baseUrl = String(credentials.baseUrl).replace(/\/+$/, '');
  const request: IHttpRequestOptions = {
    method,
    url: `${baseUrl}/api/v1${path}`,
    json: !options.binary,
    ...(options.body && { body: options.body }),
    ...(options.qs && { qs: options.qs }),
    ...(options.binary && { encoding: 'arraybuffer' as const }),
    ...(options.fullResponse && { returnFullResponse: true }),
  };
  try {
    const response = await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_NAME, request);
    if (options.fullResponse) {
      const full = response as { body: unknown; headers: Record<string, string>; statusCode: number };
      return { ...full, body: options.binary ? Buffer.from(full.body as ArrayBuffer) : full.body } as T;
    }
    return (options.binary ? Buffer.from(response as ArrayBuffer) : response) as T;
  } catch (error) {
    throw toNodeApiError(this, error, options.itemIndex);
  }
}

function toNodeApiError(context: Context, error: unknown, itemIndex?: number): NodeApiError {
  const raw = error as { response?: { data?: unknown; status?: number }; httpCode?: string; message?: string; code?: string; cause?: { code?: string } };
  const body = parseBody(raw.response?.data);
  const runtimeError = body?.error;
  const status = raw.response?.status ?? (raw.httpCode ? Number(raw.httpCode) : undefined);
  let message = runtimeError?.message ?? raw.message ?? 'The WhatsApp runtime request failed';
  if (status === 401) message = 'The WhatsApp runtime rejected the API key: check the credential';
  else if (!status && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET/.test(`${raw.code} ${raw.cause?.code} ${raw.message}`)) {
    message = 'The WhatsApp runtime is not reachable: check the URL in the credential and that the runtime is running';
  }
  return new NodeApiError(context.getNode(), (body ?? { message }) as JsonObject, {
    message,
    description: runtimeError?.code ? `Runtime error code: ${runtimeError.code}` : undefined,
    httpCode: status ? String(status) : undefined,
    ...(itemIndex !== undefined && { itemIndex }),
  });
}

function parseBody(data: unknown): { error?: { code?: string; message?: string } } | undefined {
  if (!data) return undefined;
  if (typeof data === 'object' && !(data instanceof ArrayBuffer) && !Buffer.isBuffer(data)) return data as { error?: { code?: string; message?: string } };
  try {
    return JSON.parse(Buffer.from(data as ArrayBuffer).toString('utf8'));
  } catch {
    return undefined;
  }
}
