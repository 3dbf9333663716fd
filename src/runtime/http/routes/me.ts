import type { FastifyPluginAsync } from 'fastify';
import { PERMISSIONS } from '../../auth/api-keys';

/**
 * `GET /api/v1/me`: who the presented key is and what it may do. The n8n credential test calls it to check URL and
 * key together; the dashboard shows only what the key may do.
 */
export const meRoutes: FastifyPluginAsync<{ version: string; sandbox: boolean }> = async (app, opts) => {
  app.get(
    '/me',
    {
      config: { permission: 'any' },
      schema: {
        tags: ['auth'],
        summary: 'Describe the API key used for this request: its permissions and sessions',
        response: {
          200: {
            type: 'object',
            properties: {
              keyId: { type: 'string' },
              name: { type: 'string' },
              prefix: { type: 'string' },
              permissions: { type: 'array', items: { type: 'string', enum: [...PERMISSIONS] } },
              sessions: { anyOf: [{ type: 'string', enum: ['*'] }, { type: 'array', items: { type: 'string' } }] },
              expiresAt: { type: 'string', nullable: true },
              role: { type: 'string', enum: ['admin', 'scoped'], description: '`admin` when the key holds the admin permission' },
              sandbox: { type: 'boolean', description: 'whether this runtime talks to its simulator instead of WhatsApp' },
              runtimeVersion: { type: 'string' },
            },
          },
        },
      },
    },
    async (request) => {
      const key = request.apiKey!;
      return {
        keyId: key.id,
        name: key.name,
        prefix: key.prefix,
        permissions: key.permissions,
        sessions: key.sessions,
        expiresAt: key.expiresAt ?? null,
        role: key.permissions.includes('admin') ? 'admin' : 'scoped',
        sandbox: opts.sandbox,
        runtimeVersion: opts.version,
      };
    },
  );
};
