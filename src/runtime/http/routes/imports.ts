/**
 * http/routes/imports: CSV imports into a contact list (upload as multipart or by URL through the outbound-URL
 * guard, answered with the detected encoding, delimiter, header and first rows; then started with a column
 * mapping; progress, and the report of skipped rows as JSON or CSV), and the session's opt-outs.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { ApiError } from '../../errors';
import type { ContactLists } from '../../audiences/lists';
import type { ImportJobs, ImportMapping } from '../../audiences/imports';
import type { OptOuts } from '../../audiences/opt-outs';
import { csvCell } from '../../audiences/csv';
import { toE164 } from '../../audiences/phones';
import { guardedFetch, UrlRefusedError } from '../../net/guard';
import type { SessionManager } from '../../sessions/manager';
import { errorResponses, idParams } from './common';
import { routePermissions } from '../access';

export interface ImportRouteOptions {
  sessions: SessionManager;
  lists: ContactLists;
  imports: ImportJobs;
  optOuts: OptOuts;
  maxBytes: number;
  allowPrivateNetworks: boolean;
}

const listParams = { type: 'object', required: ['id', 'listId'], properties: { id: { type: 'string' }, listId: { type: 'string' } } } as const;
const importParams = { type: 'object', required: ['id', 'listId', 'importId'], properties: { id: { type: 'string' }, listId: { type: 'string' }, importId: { type: 'string' } } } as const;

export const importRoutes: FastifyPluginAsync<ImportRouteOptions> = async (app, { sessions, lists, imports, optOuts, maxBytes, allowPrivateNetworks }) => {
  routePermissions(app, 'manage');
  const tags = ['contact lists'];
  const listOf = async (session: string, listId: string) => {
    sessions.get(session);
    return lists.get(session, listId);
  };

  /** Writes the upload (a multipart file part, or the body of `{url}`) to `path`, at most `maxBytes`. */
  async function receive(request: FastifyRequest, path: string): Promise<string | undefined> {
    let bytes = 0;
    const capped = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(bytes > maxBytes ? new ApiError(413, 'file_too_large', `The file is larger than the limit of ${maxBytes} bytes`, { field: 'file' }) : null, chunk);
      },
    });
    const sink = createWriteStream(path, { mode: 0o600 });
    if (request.isMultipart()) {
      const part = await request.file({ limits: { fileSize: maxBytes + 1, files: 1 } }).catch((error: Error) => {
        throw new ApiError(400, 'validation_failed', `Could not read the upload: ${error.message}`, { field: 'file' });
      });
      if (!part || part.fieldname !== 'file') throw new ApiError(400, 'validation_failed', 'Send the CSV as a multipart part named "file"', { field: 'file' });
      await pipeline(part.file, capped, sink);
      return part.filename || undefined;
    }
    const url = (request.body as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new ApiError(400, 'validation_failed', 'Send the CSV as multipart/form-data (part "file") or JSON {"url": "https://…"}', { field: 'url' });
    let response: Response;
    try {
      response = (await guardedFetch(url, { signal: AbortSignal.timeout(60_000) }, { allowPrivateNetworks })) as unknown as Response;
    } catch (error) {
      if (error instanceof UrlRefusedError) throw new ApiError(400, 'url_not_allowed', `This URL is not allowed: ${error.message}`, { field: 'url' });
      throw new ApiError(422, 'download_failed', `Could not download the file: ${(error as Error).message}`, { field: 'url' });
    }
    if (!response.ok || !response.body) throw new ApiError(422, 'download_failed', `Downloading the file returned HTTP ${response.status}`, { field: 'url' });
    await pipeline(Readable.fromWeb(response.body as never), capped, sink);
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || undefined;
  }

  app.post<{ Params: { id: string; listId: string } }>(
    '/sessions/:id/lists/:listId/imports',
    {
      schema: {
        tags,
        summary: 'Upload a CSV file for an import (multipart part "file", or JSON {"url"}): answered with its encoding, delimiter, header and first rows',
        description: 'Start the import with POST …/imports/{importId}/start and a column mapping. UTF-8 (with or without BOM) and Latin-1; `,`, `;` or tab.',
        params: listParams,
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const list = await listOf(request.params.id, request.params.listId);
      const upload = await imports.newUpload();
      try {
        const fileName = await receive(request, upload.path);
        return reply.code(201).send(await imports.uploaded(list, upload, fileName));
      } catch (error) {
        await rm(upload.path, { force: true });
        throw error;
      }
    },
  );

  app.post<{ Params: { id: string; listId: string; importId: string }; Body: { mapping: ImportMapping; defaultCountry?: string; checkWhatsApp?: boolean } }>(
    '/sessions/:id/lists/:listId/imports/:importId/start',
    {
      config: { audit: 'list.imported' },
      schema: {
        tags,
        summary: 'Start an uploaded import with a column mapping; it runs in the background (contact_list.import events)',
        params: importParams,
        body: {
          type: 'object',
          required: ['mapping'],
          additionalProperties: false,
          properties: {
            mapping: {
              type: 'object',
              required: ['phone'],
              additionalProperties: false,
              properties: {
                phone: { type: 'string', minLength: 1, description: 'The column with the phone number' },
                name: { type: 'string', minLength: 1 },
                fields: { type: 'object', additionalProperties: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }, description: 'Column → field name' },
                tags: { type: 'string', minLength: 1, description: 'A column of comma-separated tags' },
                addTags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 }, maxItems: 20 },
              },
            },
            defaultCountry: { type: 'string', pattern: '^[A-Za-z]{2}$' },
            checkWhatsApp: { type: 'boolean', default: true, description: 'Check the imported numbers on WhatsApp afterwards (when the session is connected)' },
          },
        },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const list = await listOf(request.params.id, request.params.listId);
      const job = await imports.start(list, await imports.get(list, request.params.importId), request.body);
      request.audited = { target: { type: 'list', id: list.id }, details: { import: job.id } };
      return reply.code(202).send(job);
    },
  );

  app.get<{ Params: { id: string; listId: string; importId: string } }>('/sessions/:id/lists/:listId/imports/:importId', { config: { permission: 'read' }, schema: { tags, summary: 'An import: status and counts', params: importParams, response: errorResponses } }, async (request) =>
    imports.get(await listOf(request.params.id, request.params.listId), request.params.importId),
  );

  app.get<{ Params: { id: string; listId: string; importId: string }; Querystring: { format: 'json' | 'csv' } }>(
    '/sessions/:id/lists/:listId/imports/:importId/report',
    { config: { permission: 'read' }, schema: { tags, summary: 'The rows an import skipped, with the line and the reason', params: importParams, querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['json', 'csv'], default: 'json' } } }, response: errorResponses } },
    async (request, reply) => {
      const job = await imports.get(await listOf(request.params.id, request.params.listId), request.params.importId);
      const skipped = await imports.report(job);
      if (request.query.format !== 'csv') return { importId: job.id, status: job.status, counts: job.counts, skipped };
      const body = ['line,phone,reason,message', ...skipped.map((row) => [String(row.line), row.phone, row.reason, row.message].map(csvCell).join(','))].join('\r\n');
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${job.id}-report.csv"`).send(`${body}\r\n`);
    },
  );

  app.get<{ Params: { id: string } }>('/sessions/:id/opt-outs', { config: { permission: 'read' }, schema: { tags, summary: 'Numbers that opted out of this session\'s messages (by keyword or by API)', params: idParams, response: errorResponses } }, async (request) => {
    sessions.get(request.params.id);
    return { optOuts: optOuts.list(request.params.id) };
  });

  app.put<{ Params: { id: string; phone: string }; Body: { optedOut: boolean } }>(
    '/sessions/:id/opt-outs/:phone',
    {
      config: { audit: 'contact.opt_out_changed' },
      schema: { tags, summary: 'Opt a number out (or back in) by hand', params: { type: 'object', required: ['id', 'phone'], properties: { id: { type: 'string' }, phone: { type: 'string' } } }, body: { type: 'object', required: ['optedOut'], additionalProperties: false, properties: { optedOut: { type: 'boolean' } } }, response: errorResponses },
    },
    async (request) => {
      sessions.get(request.params.id);
      const phone = toE164(request.params.phone);
      if (!phone) throw new ApiError(400, 'invalid_number', `"${request.params.phone}" is not a valid phone number (give it with its country code)`, { field: 'phone' });
      return (await optOuts.set(request.params.id, phone, request.body.optedOut)).record;
    },
  );
};
