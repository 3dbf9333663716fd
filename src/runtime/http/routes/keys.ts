/**
 * http/routes/keys: API keys (create with scopes and an optional expiry, shown once; list with last use; revoke at
 * once) and the audit log, both for admin keys only.
 */
import type { FastifyPluginAsync } from 'fastify';
import { PERMISSIONS, type ApiKeyRecord, type ApiKeys, type NewKey, type Permission } from '../../auth/api-keys';
import type { AuditLog, AuditQuery } from '../../audit';
import { SESSION_ID_PATTERN } from '../../../contract/sessions';
import { ApiError } from '../../errors';
import { errorBodySchema } from '../errors';
import { routePermissions } from '../access';
import { logPageQuery, timeWindow } from './common';

const keyView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string', description: 'the first characters of the key' },
    permissions: { type: 'array', items: { type: 'string', enum: [...PERMISSIONS] } },
    sessions: { anyOf: [{ type: 'string', enum: ['*'] }, { type: 'array', items: { type: 'string' } }] },
    source: { type: 'string', enum: ['configured', 'generated', 'api'] },
    createdAt: { type: 'string' },
    createdBy: { type: 'object', nullable: true, properties: { id: { type: 'string' }, name: { type: 'string' } } },
    expiresAt: { type: 'string', nullable: true },
    revokedAt: { type: 'string', nullable: true },
    lastUsedAt: { type: 'string', nullable: true },
    useCount: { type: 'integer' },
    status: { type: 'string', enum: ['active', 'expired', 'revoked'] },
  },
} as const;
const errors = { 400: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema };
const keyIdParams = { type: 'object', required: ['keyId'], properties: { keyId: { type: 'string', maxLength: 64 } } } as const;

export const keyRoutes: FastifyPluginAsync<{ keys: ApiKeys; audit: AuditLog }> = async (app, { keys, audit }) => {
  routePermissions(app, 'admin');
  const view = (record: ApiKeyRecord) => {
    const { hash: _hash, ...rest } = record;
    return { ...rest, createdBy: rest.createdBy ?? null, expiresAt: rest.expiresAt ?? null, revokedAt: rest.revokedAt ?? null, lastUsedAt: rest.lastUsedAt ?? null, status: keys.status(record) };
  };

  app.post<{ Body: { name: string; permissions: Permission[]; sessions: '*' | string[]; expiresAt?: string; expiresInDays?: number } }>(
    '/keys',
    {
      config: { permission: 'admin', audit: 'key.created' },
      schema: {
        tags: ['keys'],
        summary: 'Create an API key with permissions over all sessions or some; the key is shown in this answer only',
        body: {
          type: 'object',
          required: ['name', 'permissions', 'sessions'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            permissions: { type: 'array', minItems: 1, maxItems: 5, uniqueItems: true, items: { type: 'string', enum: [...PERMISSIONS] }, description: 'read, send, manage, admin (admin implies the others), metrics (GET /metrics only)' },
            sessions: { anyOf: [{ type: 'string', enum: ['*'] }, { type: 'array', minItems: 1, maxItems: 1000, uniqueItems: true, items: { type: 'string', pattern: SESSION_ID_PATTERN.source } }], description: '`*` for every session, or a list of session ids' },
            expiresAt: { type: 'string', format: 'date-time' },
            expiresInDays: { type: 'number', exclusiveMinimum: 0, maximum: 3650 },
          },
        },
        response: { 201: { ...keyView, properties: { ...keyView.properties, key: { type: 'string', description: 'the key itself: store it now, it is not shown again' } } }, ...errors },
      },
    },
    async (request, reply) => {
      const { expiresInDays, expiresAt, ...rest } = request.body;
      if (expiresAt && expiresInDays) throw new ApiError(400, 'validation_failed', 'Give "expiresAt" or "expiresInDays", not both', { field: 'expiresInDays' });
      const input: NewKey = { ...rest, ...((expiresAt || expiresInDays) && { expiresAt: expiresAt ?? new Date(Date.now() + expiresInDays! * 86_400_000).toISOString() }) };
      const actor = request.apiKey && { id: request.apiKey.id, name: request.apiKey.name };
      const { record, plaintext } = await keys.create(input, actor);
      request.audited = { target: { type: 'key', id: record.id }, details: { name: record.name, permissions: record.permissions, sessions: record.sessions === '*' ? ['*'] : record.sessions } };
      return reply.status(201).send({ ...view(record), key: plaintext });
    },
  );

  app.get<{ Querystring: { status?: 'active' | 'expired' | 'revoked' | 'all' } }>(
    '/keys',
    {
      config: { permission: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'List API keys (never the keys themselves) with their last use',
        querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: ['active', 'expired', 'revoked', 'all'], default: 'active' } } },
        response: { 200: { type: 'object', properties: { keys: { type: 'array', items: keyView } } }, ...errors },
      },
    },
    async (request) => ({ keys: keys.list().map(view).filter((k) => request.query.status === 'all' || k.status === (request.query.status ?? 'active')) }),
  );

  app.get<{ Params: { keyId: string } }>(
    '/keys/:keyId',
    { config: { permission: 'admin' }, schema: { tags: ['keys'], summary: 'Get an API key', params: keyIdParams, response: { 200: keyView, ...errors } } },
    async (request) => view(keys.get(request.params.keyId)),
  );

  app.delete<{ Params: { keyId: string } }>(
    '/keys/:keyId',
    { config: { permission: 'admin', audit: 'key.revoked' }, schema: { tags: ['keys'], summary: 'Revoke an API key (at once: open event streams of it are closed)', params: keyIdParams, response: { 200: keyView, ...errors } } },
    async (request) => view(await keys.revoke(request.params.keyId)),
  );

  app.get<{ Querystring: Omit<AuditQuery, 'limit'> & { limit?: number } }>(
    '/audit',
    {
      config: { permission: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first; page with `before` = the previous answer\'s nextCursor',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...logPageQuery,
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            action: { type: 'string', maxLength: 100, description: 'an action such as `key.created`, or `session.*`' },
            actor: { type: 'string', maxLength: 64, description: 'a key id, or `system` / `anonymous`' },
            session: { type: 'string', maxLength: 64 },
            result: { type: 'string', enum: ['success', 'failure', 'denied'] },
          },
        },
        response: { 400: errorBodySchema, 403: errorBodySchema },
      },
    },
    async (request) => {
      return audit.query({ ...request.query, limit: request.query.limit ?? 100, ...timeWindow(request.query) });
    },
  );
};
