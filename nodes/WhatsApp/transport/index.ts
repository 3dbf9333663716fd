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

/**
 * n8n's request helper already throws a NodeApiError, made from the HTTP error, with n8n's generic text for the
 * status ("The resource you are requesting could not be found"); the runtime's own answer is in its `context.data`
 * (or, for binary requests, in `cause.response.data`). A new error is built from that answer: passing the
 * NodeApiError itself would hand it back unchanged.
 */
function toNodeApiError(context: Context, error: unknown, itemIndex?: number): NodeApiError {
  const raw = error as {
    response?: { data?: unknown; status?: number };
    context?: { data?: unknown };
    cause?: { code?: string; response?: { data?: unknown; status?: number } };
    httpCode?: string | null;
    message?: string;
    code?: string;
  };
  const body = parseBody(raw.response?.data ?? raw.context?.data ?? raw.cause?.response?.data);
  const runtimeError = body?.error;
  const status = raw.response?.status ?? raw.cause?.response?.status ?? (raw.httpCode ? Number(raw.httpCode) : undefined);
  let message = runtimeError?.message ?? raw.message ?? 'The WhatsApp runtime request failed';
  if (status === 401) message = 'The WhatsApp runtime rejected the API key: check the credential';
  else if (!status && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET/.test(`${raw.code} ${raw.cause?.code} ${raw.message}`)) {
    message = 'The WhatsApp runtime is not reachable: check the URL in the credential and that the runtime is running';
  }
  const hint = runtimeError?.code ? HINTS[runtimeError.code] : undefined;
  const code = runtimeError?.code ? `Runtime error code: ${runtimeError.code}${status ? ` (HTTP ${status})` : ''}` : undefined;
  return new NodeApiError(context.getNode(), (body ?? { message }) as JsonObject, {
    message,
    description: [hint, code].filter(Boolean).join('. ') || undefined,
    httpCode: status ? String(status) : undefined,
    ...(itemIndex !== undefined && { itemIndex }),
  });
}

/** What to do next, for the runtime errors a no-code user meets most. */
const HINTS: Record<string, string> = {
  session_not_connected: 'Link the number first: scan the QR code in the runtime dashboard, or run Session → Get QR Code',
  session_not_running: 'Start the session (Session → Start, or in the runtime dashboard)',
  session_not_found: 'Create the session (Session → Create) or pick one from the list',
  session_already_linked: 'The session is linked already: nothing to scan',
  missing_permission: "The credential's API key may not do this: create a key with that permission in the runtime dashboard (API keys)",
  rate_limited: 'WhatsApp is rate-limiting this number: wait a minute, or send through the bulk lane',
  invalid_phone_number: 'Give the number with its country code, for example +49 151 2345678',
};

function parseBody(data: unknown): { error?: { code?: string; message?: string } } | undefined {
  if (!data) return undefined;
  if (typeof data === 'object' && !(data instanceof ArrayBuffer) && !Buffer.isBuffer(data)) return data as { error?: { code?: string; message?: string } };
  try {
    return JSON.parse(Buffer.from(data as ArrayBuffer).toString('utf8'));
  } catch {
    return undefined;
  }
}
