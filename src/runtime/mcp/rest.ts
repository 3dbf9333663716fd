/**
 * mcp/rest: a tool's way into the runtime is the REST API, called in-process (`inject`) with the caller's own
 * credential, so a tool call meets the same scopes, limits, pacing, idempotency, usage counting and request log
 * as the same call over HTTP.
 */
import type { FastifyInstance } from 'fastify';

export interface RestAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- REST answers are JSON documents read field by field
  body: any;
}

export interface RestCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  idempotencyKey?: string;
}

export type Rest = (call: RestCall) => Promise<RestAnswer>;

/** The REST API as the holder of `authorization` sees it; `client` goes into the request log's user agent. */
export function restFor(app: FastifyInstance, authorization: string, client: string, requestId: string): Rest {
  return async ({ method, path, query, body, idempotencyKey }) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(name, String(value));
    const response = await app.inject({
      method,
      url: `/api/v1${path}${search.size ? `?${search}` : ''}`,
      headers: {
        authorization,
        'user-agent': `mcp (${client})`.slice(0, 200),
        'x-request-id': requestId,
        ...(idempotencyKey && { 'idempotency-key': idempotencyKey }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    });
    const type = String(response.headers['content-type'] ?? '');
    return { status: response.statusCode, body: type.includes('json') ? response.json() : response.body };
  };
}

/** A path segment from a tool argument (a JID carries `@`, a number may carry `+`). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
