// Every call is the REST API with the key the user typed; a refused key signs the tab out (app.js sets how).
import { state } from './state.js';

let unauthorized = () => undefined;

/** What to do when the runtime refuses the key. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export class ApiFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function api(method, path, body) {
  return request(method, `/api/v1${path}`, body);
}

/** A call of the runtime outside the REST API (the OAuth consent endpoints), answered and refused the same way. */
export async function request(method, url, body) {
  // a FormData body (a file upload) is sent as multipart, anything else as JSON
  const form = body instanceof FormData;
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${state.key}`, ...(body !== undefined && !form && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : form ? body : JSON.stringify(body),
  });
  if (response.status === 401) {
    unauthorized('The API key was refused: sign in again.');
    throw new ApiFailure(401, 'unauthorized');
  }
  if (response.status === 204) return undefined;
  const type = response.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await response.json() : await response.blob();
  if (!response.ok) throw new ApiFailure(response.status, data?.error?.message ?? `HTTP ${response.status}`);
  return data;
}
