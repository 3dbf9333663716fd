/**
 * http/routes/usage: usage per day, session and key (with totals), the request log, and what is kept for how long;
 * admin keys only.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors';
import { addCounts, type UsageMeter } from '../../usage';
import type { RequestLog, RequestQuery } from '../../usage/requests';
import { errorBodySchema } from '../errors';
import { routePermissions } from '../access';
import { logPageQuery, timeWindow } from './common';

const DAY = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const errors = { 400: errorBodySchema, 403: errorBodySchema };

export interface RetentionSettings {
  messagesDays: number;
  eventsHours: number;
  idempotencyHours: number;
  requestLogDays: number;
  usageDays: number;
  auditDays: number;
}

export const usageRoutes: FastifyPluginAsync<{ usage: UsageMeter; requests: RequestLog; retention: RetentionSettings }> = async (app, { usage, requests, retention }) => {
  routePermissions(app, 'admin', 'admin');

  app.get('/retention', { schema: { tags: ['usage'], summary: 'What the runtime keeps and for how long (chat previews expire with the messages)', response: { 200: { type: 'object', properties: Object.fromEntries(Object.keys(retention).map((k) => [k, { type: 'number' }])) }, ...errors } } }, async () => retention);

  app.get<{ Querystring: { from?: string; to?: string; session?: string; key?: string } }>(
    '/usage',
    {
      schema: {
        tags: ['usage'],
        summary: 'Usage per day (UTC), session and API key: messages by kind, media bytes, API calls, webhook deliveries',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...DAY, description: 'first day (default: 30 days ago)' },
            to: { ...DAY, description: 'last day (default: today)' },
            session: { type: 'string', maxLength: 64 },
            key: { type: 'string', maxLength: 64, description: 'an API key id; `-` for what no key did (messages, deliveries)' },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const today = new Date().toISOString().slice(0, 10);
      const from = request.query.from ?? new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
      const to = request.query.to ?? today;
      if (Number.isNaN(Date.parse(from))) throw new ApiError(400, 'validation_failed', `"${from}" is not a day`, { field: 'from' });
      if (Number.isNaN(Date.parse(to))) throw new ApiError(400, 'validation_failed', `"${to}" is not a day`, { field: 'to' });
      if (from > to) throw new ApiError(400, 'validation_failed', '"from" is after "to"', { field: 'from' });
      const rows = await usage.query({ from, to, ...(request.query.session && { session: request.query.session }), ...(request.query.key && { key: request.query.key }) });
      const totals = rows.reduce((sum, row) => addCounts(sum, row), { received: {}, sent: {}, mediaBytesIn: 0, mediaBytesOut: 0, apiCalls: 0, webhookDeliveries: 0, webhookFailures: 0 });
      return { from, to, rows, totals };
    },
  );

  app.get<{ Querystring: Omit<RequestQuery, 'limit'> & { limit?: number } }>(
    '/requests',
    {
      schema: {
        tags: ['usage'],
        summary: 'The request log, newest first (route templates, no bodies, no query strings); page with `before`',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...logPageQuery,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            route: { type: 'string', maxLength: 200, description: 'a route template such as /api/v1/sessions/:id/messages/text' },
            method: { type: 'string', enum: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] },
            status: { type: 'integer', minimum: 100, maximum: 599 },
            statusClass: { type: 'string', enum: ['2xx', '3xx', '4xx', '5xx'] },
            key: { type: 'string', maxLength: 64 },
            session: { type: 'string', maxLength: 64 },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const page = await requests.query({ ...request.query, limit: request.query.limit ?? 100, ...timeWindow(request.query) });
      return { requests: page.entries, nextCursor: page.nextCursor };
    },
  );
};
