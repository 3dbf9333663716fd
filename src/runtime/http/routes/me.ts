import type { FastifyPluginAsync } from 'fastify';

/** `GET /api/v1/me`: who the presented key is. The n8n credential test calls it to check URL and key together. */
export const meRoutes: FastifyPluginAsync<{ version: string }> = async (app, opts) => {
  app.get(
    '/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Describe the API key used for this request',
        response: {
          200: {
            type: 'object',
            properties: {
              keyId: { type: 'string' },
              name: { type: 'string' },
              role: { type: 'string' },
              runtimeVersion: { type: 'string' },
            },
          },
        },
      },
    },
    async (request) => ({
      keyId: request.apiKey!.id,
      name: request.apiKey!.name,
      role: request.apiKey!.role,
      runtimeVersion: opts.version,
    }),
  );
};
