/**
 * http/routes/waits: Send and Wait answered in WhatsApp: register, list and cancel waits for a reply.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError, errorBodySchema } from '../errors';
import type { SessionManager } from '../../sessions/manager';
import type { WaitRegistry } from '../../waits';

const url = { type: 'string', pattern: '^https?://', maxLength: 4096 } as const;

export const waitRoutes: FastifyPluginAsync<{ waits: WaitRegistry; sessions: SessionManager }> = async (app, { waits, sessions }) => {
  const tags = ['messages'];
  app.post<{ Params: { id: string }; Body: { chatId: string; messageId: string; responseType: 'approval' | 'freeText'; approveUrl?: string; disapproveUrl?: string; textUrl?: string; approveWords?: string[]; disapproveWords?: string[]; expiresAt?: string } }>(
    '/sessions/:id/waits',
    {
      schema: {
        tags,
        summary: 'Resume an n8n execution when the chat answers a sent question (Send and Wait by WhatsApp reply)',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        body: {
          type: 'object',
          required: ['chatId', 'messageId', 'responseType'],
          additionalProperties: false,
          properties: {
            chatId: { type: 'string', minLength: 3 },
            messageId: { type: 'string', minLength: 1 },
            responseType: { type: 'string', enum: ['approval', 'freeText'] },
            approveUrl: url,
            disapproveUrl: url,
            textUrl: url,
            approveWords: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 50 },
            disapproveWords: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 50 },
            expiresAt: { type: 'string', format: 'date-time' },
          },
        },
        response: { 400: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request, reply) => {
      sessions.get(request.params.id);
      const body = request.body;
      if (body.responseType === 'approval' && !body.approveUrl) throw new ApiError(400, 'validation_failed', 'An approval wait needs approveUrl (and disapproveUrl unless only approval is possible)', { field: 'approveUrl' });
      if (body.responseType === 'freeText' && !body.textUrl) throw new ApiError(400, 'validation_failed', 'A free-text wait needs textUrl', { field: 'textUrl' });
      const wait = await waits.create({ ...body, session: request.params.id });
      // the signed resume URLs are credentials to the execution: not echoed
      return reply.status(201).send({ id: wait.id, session: wait.session, chatId: wait.chatId, messageId: wait.messageId, responseType: wait.responseType, expiresAt: wait.expiresAt, createdAt: wait.createdAt });
    },
  );

  app.delete<{ Params: { id: string; waitId: string } }>('/sessions/:id/waits/:waitId', { schema: { tags, summary: 'Stop waiting for a reply', response: { 404: errorBodySchema } } }, async (request, reply) => {
    if (!(await waits.cancel(request.params.waitId))) throw new ApiError(404, 'wait_not_found', `No wait "${request.params.waitId}"`);
    return reply.status(204).send();
  });
};
