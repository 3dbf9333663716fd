/**
 * http/forward: cluster mode's "any runtime answers any request". A request for a session another runtime owns is
 * passed on to that runtime as it came (method, path, headers with the caller's own credential, body streamed) and
 * its answer streamed back. The owner checks the credential again against the shared key store, so the hop grants
 * nothing by itself and needs no secret of its own; the header it adds only keeps a request from going round in
 * circles while a session moves.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { request as undiciRequest } from 'undici';
import { ApiError } from '../errors';

export const FORWARDED_HEADER = 'x-wa-forwarded-by';

/** Where requests for a session go: the owner's base URL, or undefined when this runtime answers itself. */
export type OwnerLookup = (session: string) => Promise<string | undefined>;

// hop-by-hop headers (RFC 9110 §7.6.1) and those undici sets from the body it sends
const DROPPED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'content-length']);

function headersOf(raw: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined && !DROPPED.has(name)) headers[name] = value;
  }
  return headers;
}

/** True when the request was sent on (the answer is on its way); false when this runtime handles it. */
export async function forwardIfElsewhere(request: FastifyRequest, reply: FastifyReply, session: string | undefined, ownerOf: OwnerLookup, me: string): Promise<boolean> {
  if (!session || request.headers[FORWARDED_HEADER]) return false;
  const owner = await ownerOf(session);
  if (!owner) return false;
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const answer = await undiciRequest(`${owner}${request.url}`, {
    method: request.method as 'GET',
    headers: { ...headersOf(request.headers), [FORWARDED_HEADER]: me, ...(request.headers['content-length'] && { 'content-length': request.headers['content-length'] }) },
    ...(hasBody && { body: request.raw }),
    headersTimeout: 120_000,
    bodyTimeout: 0,
  }).catch((error: unknown) => {
    throw new ApiError(503, 'owner_unreachable', `The runtime that owns the session "${session}" does not answer (${(error as Error).message}); it is taken over within the lease time`);
  });
  request.forwardedTo = owner;
  reply.code(answer.statusCode);
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !DROPPED.has(name)) reply.header(name, value);
  }
  await reply.send(answer.body);
  return true;
}
