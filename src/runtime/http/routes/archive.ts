/**
 * http/routes/archive: export a session as a streamed zip of NDJSON files (and its media, if asked), and the
 * progress of its recent exports; admin keys only.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { MediaChoice, SessionExporter } from '../../archive';
import type { SessionManager } from '../../sessions/manager';
import { errorBodySchema } from '../errors';
import { routePermissions } from '../access';
import { idParams } from './common';

const progressView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    session: { type: 'string' },
    media: { type: 'string', enum: ['references', 'files'] },
    status: { type: 'string', enum: ['running', 'done', 'failed'] },
    startedAt: { type: 'string' },
    finishedAt: { type: 'string' },
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
    error: { type: 'string' },
  },
} as const;

export const archiveRoutes: FastifyPluginAsync<{ sessions: SessionManager; exporter: SessionExporter }> = async (app, { sessions, exporter }) => {
  routePermissions(app, 'admin', 'admin');

  app.post<{ Params: { id: string }; Body: { media?: MediaChoice } }>(
    '/sessions/:id/export',
    {
      config: { audit: 'session.exported' },
      schema: {
        tags: ['sessions'],
        summary: "Export the session's chats, messages, contacts, groups, events and settings as a streamed zip of NDJSON files",
        description: '`media: "files"` adds the media of its messages under `media/` (downloaded one at a time; failures in `media-errors.ndjson`); the default keeps references only. The `X-Export-Id` header names the export, whose progress `GET /sessions/:id/exports` shows.',
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { media: { type: 'string', enum: ['references', 'files'], default: 'references' } } },
        response: { 400: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request, reply) => {
      const session = sessions.get(request.params.id);
      const media = request.body?.media ?? 'references';
      const { progress, stream } = exporter.start(session, media);
      request.audited = { details: { media, exportId: progress.id } };
      const name = `${session.id}-${progress.startedAt.slice(0, 10)}.zip`;
      reply.header('content-type', 'application/zip');
      reply.header('content-disposition', `attachment; filename="${name}"`);
      reply.header('x-export-id', progress.id);
      return reply.send(stream);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/sessions/:id/exports',
    { schema: { tags: ['sessions'], summary: 'Progress of the recent exports of a session, newest first', params: idParams, response: { 200: { type: 'object', properties: { exports: { type: 'array', items: progressView } } }, 404: errorBodySchema } } },
    async (request) => {
      sessions.get(request.params.id);
      return { exports: exporter.list(request.params.id) };
    },
  );
};
