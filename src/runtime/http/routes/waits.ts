/**
 * http/routes/waits: waits for a WhatsApp reply (registered with `waitForReply` on a text send): list and cancel.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors';
import { errorBodySchema } from '../errors';
import type { SessionManager } from '../../sessions/manager';
import type { WaitRegistry } from '../../waits';
import { routePermissions } from '../access';


export const waitRoutes: FastifyPluginAsync<{ waits: WaitRegistry; sessions: SessionManager }> = async (app, { waits, sessions }) => {
  routePermissions(app, 'send');
  const tags = ['messages'];
  app.get<{ Params: { id: string } }>('/sessions/:id/waits', { schema: { tags, summary: 'Open waits for a WhatsApp reply', response: { 404: errorBodySchema } } }, async (request) => {
    sessions.get(request.params.id);
    return { waits: waits.list(request.params.id).map((w) => ({ id: w.id, chatId: w.chatId, messageId: w.messageId, responseType: w.responseType, expiresAt: w.expiresAt, createdAt: w.createdAt })) };
  });

  app.delete<{ Params: { id: string; waitId: string } }>('/sessions/:id/waits/:waitId', { schema: { tags, summary: 'Stop waiting for a reply', response: { 404: errorBodySchema } } }, async (request, reply) => {
    if (!(await waits.cancel(request.params.waitId))) throw new ApiError(404, 'wait_not_found', `No wait "${request.params.waitId}"`);
    return reply.status(204).send();
  });
};
