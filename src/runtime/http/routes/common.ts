/**
 * http/routes/common: what every session-scoped route shares: parameter and error schemas and the Idempotency-Key
 * handling. (The connected-socket guard is `SessionManager.connected`; WhatsApp's refusals are mapped in
 * `whatsapp/errors`.)
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBodySchema } from '../errors';
import type { IdempotencyStore } from '../../messages/idempotency';

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

/** Query fields of a log read newest first (audit, request log): the cursor and a time window. */
export const logPageQuery = {
  before: { type: 'integer', minimum: 1, description: "the previous answer's nextCursor" },
  from: { type: 'string', format: 'date-time' },
  to: { type: 'string', format: 'date-time' },
} as const;

/** A log query's time window in the entries' own form (ISO, UTC), so that it compares as text. */
export function timeWindow(query: { from?: string; to?: string }): { from?: string; to?: string } {
  return { ...(query.from && { from: new Date(query.from).toISOString() }), ...(query.to && { to: new Date(query.to).toISOString() }) };
}
