/**
 * http/routes/common: what every session-scoped route shares: the connected-socket guard with its user-facing
 * message, parameter and error schemas, the Idempotency-Key handling, and the mapping of WhatsApp's refusals to
 * HTTP errors.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorBodySchema } from '../errors';
import type { IdempotencyStore } from '../../messages/idempotency';
import type { SessionManager } from '../../sessions/manager';
import type { Session } from '../../sessions/session';
import type { Baileys } from '../../whatsapp/baileys';

export type WASocket = ReturnType<Baileys['makeWASocket']>;

/**
 * Runs `work` once per the request's `Idempotency-Key` (scoped to the session, bound to the route and `identity`);
 * an answer given again from an earlier request carries `Idempotent-Replayed: true`.
 */
export async function idempotent<R>(
  store: IdempotencyStore,
  request: FastifyRequest,
  reply: FastifyReply,
  session: string,
  identity: Record<string, unknown>,
  newId: () => string,
  work: (id: string) => Promise<R>,
): Promise<R> {
  const header = request.headers['idempotency-key'];
  const { result, replayed } = await store.run(session, Array.isArray(header) ? header[0] : header, { route: request.routeOptions.url, ...identity }, newId, work);
  if (replayed) reply.header('idempotent-replayed', 'true');
  return result;
}

export const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
export const errorResponses = { 400: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 413: errorBodySchema, 415: errorBodySchema, 422: errorBodySchema, 502: errorBodySchema };

export function connected(sessions: SessionManager, id: string): { session: Session; sock: WASocket } {
  const session = sessions.get(id);
  const sock = session.socket;
  if (!sock) {
    const hint = session.status === 'qr' ? ': scan its QR code first' : session.status === 'stopped' ? ': start it first' : '';
    throw new ApiError(409, 'session_not_connected', `The session "${id}" is not connected (status: ${session.status})${hint}`);
  }
  return { session, sock };
}

/**
 * Runs a WhatsApp query and turns its refusal (an IQ error such as 401 not-authorized or 404 item-not-found) into
 * an HTTP error that says what was refused, instead of a 500.
 */
export async function whatsapp<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const code = whatsappErrorCode(error);
    const boom = error as Error;
    if (code === 401 || code === 403) throw new ApiError(403, 'not_allowed', `WhatsApp refused to ${what}: not allowed (${boom.message})`);
    if (code === 404) throw new ApiError(404, 'not_found', `WhatsApp refused to ${what}: not found`);
    if (code === 406 || code === 400 || code === 409) throw new ApiError(422, 'rejected_by_whatsapp', `WhatsApp refused to ${what}: ${boom.message}`);
    if (code === 408) throw new ApiError(504, 'whatsapp_timeout', `WhatsApp did not answer in time to ${what}`);
    throw new ApiError(502, 'whatsapp_error', `Could not ${what}: ${boom.message}`);
  }
}

/** WhatsApp's error code of a failed query: Baileys puts an IQ error's code in `data`, other failures in the status. */
export function whatsappErrorCode(error: unknown): number | undefined {
  const boom = error as { output?: { statusCode?: number }; data?: unknown };
  return typeof boom?.data === 'number' ? boom.data : boom?.output?.statusCode;
}
