/**
 * http/routes/lists: a session's contact lists and their members: create, rename, delete; contacts one by one and
 * in batches (every item answered: created, updated, or skipped and why); members with filters and a cursor; CSV
 * export as a stream. Opted-out state comes from the session's opt-outs (one registry for every list).
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors';
import { ContactRefused, type Contact, type ContactInput, type ContactList, type ContactLists, type FieldSpec, type MemberFilter, type WhatsAppStatus } from '../../audiences/lists';
import type { OptOuts } from '../../audiences/opt-outs';
import type { SessionManager } from '../../sessions/manager';
import { errorResponses, idParams } from './common';
import { routePermissions } from '../access';
import { csvCell } from '../../audiences/csv';

export interface ListRouteOptions {
  sessions: SessionManager;
  lists: ContactLists;
  optOuts: OptOuts;
}

const listParams = { type: 'object', required: ['id', 'listId'], properties: { id: { type: 'string' }, listId: { type: 'string' } } } as const;
const contactParams = { type: 'object', required: ['id', 'listId', 'phone'], properties: { id: { type: 'string' }, listId: { type: 'string' }, phone: { type: 'string', description: 'The number, in any format the list\'s default country allows' } } } as const;
const fieldSpec = {
  type: 'object',
  required: ['name', 'type'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, type: { type: 'string', enum: ['string', 'number', 'date', 'boolean'] }, required: { type: 'boolean' } },
} as const;
const listBody = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  defaultCountry: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166 country of numbers written without a country code' },
  fields: { type: 'array', items: fieldSpec, maxItems: 100 },
  strictFields: { type: 'boolean', description: 'Refuse fields the list does not declare (default: keep them as text)' },
} as const;
const contactBody = {
  phone: { type: 'string', minLength: 1, maxLength: 40 },
  name: { type: 'string', maxLength: 200 },
  fields: { type: 'object', maxProperties: 100 },
  tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 }, maxItems: 100 },
} as const;

export const listRoutes: FastifyPluginAsync<ListRouteOptions> = async (app, { sessions, lists, optOuts }) => {
  routePermissions(app, 'manage');
  const tags = ['contact lists'];

  async function listOf(session: string, listId: string): Promise<ContactList> {
    sessions.get(session);
    return lists.get(session, listId);
  }
  const view = async (list: ContactList) => ({ ...list, size: await lists.size(list) });
  const contactView = (session: string, contact: Contact) => {
    const optOut = optOuts.optOutOf(session, contact.phone);
    return { ...contact, optedOut: !!optOut, ...(optOut && { optOut }) };
  };
  const refused = (error: unknown) => {
    if (error instanceof ContactRefused) return new ApiError(400, error.reason, error.message, { field: error.field ?? 'phone' });
    return error;
  };

  app.get<{ Params: { id: string } }>('/sessions/:id/lists', { schema: { tags, summary: 'Contact lists of the session, with their sizes', params: idParams, response: errorResponses } }, async (request) => {
    sessions.get(request.params.id);
    return { lists: await Promise.all((await lists.all(request.params.id)).map(view)) };
  });

  app.post<{ Params: { id: string }; Body: { name: string; defaultCountry?: string; fields?: FieldSpec[]; strictFields?: boolean } }>(
    '/sessions/:id/lists',
    { config: { audit: 'list.created' }, schema: { tags, summary: 'Create a contact list', params: idParams, body: { type: 'object', required: ['name'], additionalProperties: false, properties: listBody }, response: errorResponses } },
    async (request, reply) => {
      sessions.get(request.params.id);
      const list = await lists.create(request.params.id, request.body);
      request.audited = { target: { type: 'list', id: list.id } };
      return reply.code(201).send(await view(list));
    },
  );

  app.get<{ Params: { id: string; listId: string } }>('/sessions/:id/lists/:listId', { schema: { tags, summary: 'A contact list', params: listParams, response: errorResponses } }, async (request) =>
    view(await listOf(request.params.id, request.params.listId)),
  );

  app.patch<{ Params: { id: string; listId: string }; Body: { name?: string; defaultCountry?: string | null; fields?: FieldSpec[]; strictFields?: boolean } }>(
    '/sessions/:id/lists/:listId',
    {
      config: { audit: 'list.changed' },
      schema: { tags, summary: 'Rename a list, or change its default country or fields', params: listParams, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { ...listBody, defaultCountry: { ...listBody.defaultCountry, nullable: true } } }, response: errorResponses },
    },
    async (request) => view(await lists.update(await listOf(request.params.id, request.params.listId), request.body)),
  );

  app.delete<{ Params: { id: string; listId: string } }>('/sessions/:id/lists/:listId', { config: { audit: 'list.deleted' }, schema: { tags, summary: 'Delete a list and its members (opt-outs stay)', params: listParams, response: errorResponses } }, async (request, reply) => {
    await lists.delete(await listOf(request.params.id, request.params.listId));
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string; listId: string }; Querystring: { tag?: string; field?: string; optedOut?: boolean; whatsapp?: WhatsAppStatus; search?: string; limit: number; cursor?: string } }>(
    '/sessions/:id/lists/:listId/contacts',
    {
      schema: {
        tags,
        summary: 'Members of a list, by number; pass `nextCursor` as `cursor` for the next page',
        params: listParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tag: { type: 'string', minLength: 1 },
            field: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]*:', description: '`name:value`: members whose field has that value' },
            optedOut: { type: 'boolean' },
            whatsapp: { type: 'string', enum: ['unknown', 'on_whatsapp', 'not_on_whatsapp'] },
            search: { type: 'string', minLength: 1, maxLength: 100, description: 'Part of the name or number' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            cursor: { type: 'string', pattern: '^[0-9]{1,20}$' },
          },
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const session = request.params.id;
      const list = await listOf(session, request.params.listId);
      const { field, ...query } = request.query;
      const filter: MemberFilter = { ...query, ...(field && { field: { name: field.slice(0, field.indexOf(':')), value: field.slice(field.indexOf(':') + 1) } }) };
      const page = await lists.page(list, { ...filter, limit: query.limit, cursor: query.cursor, optedOutOf: (digits) => optOuts.isOptedOut(session, `+${digits}`) });
      return { contacts: page.contacts.map((c) => contactView(session, c)), ...(page.nextCursor && { nextCursor: page.nextCursor }) };
    },
  );

  app.post<{ Params: { id: string; listId: string }; Body: ContactInput }>(
    '/sessions/:id/lists/:listId/contacts',
    { schema: { tags, summary: 'Add a contact, or update the one with this number (fields are merged, tags replaced)', params: listParams, body: { type: 'object', required: ['phone'], additionalProperties: false, properties: contactBody }, response: errorResponses } },
    async (request, reply) => {
      const list = await listOf(request.params.id, request.params.listId);
      let prepared;
      try {
        prepared = lists.prepare(list, request.body);
      } catch (error) {
        throw refused(error);
      }
      const { contact, created } = await lists.put(list, prepared);
      return reply.code(created ? 201 : 200).send({ ...contactView(list.session, contact), created });
    },
  );

  app.post<{ Params: { id: string; listId: string }; Body: { contacts: ContactInput[] } }>(
    '/sessions/:id/lists/:listId/contacts/batch',
    {
      schema: {
        tags,
        summary: 'Add or update up to 1000 contacts; each is answered (created, updated, or skipped with the reason)',
        params: listParams,
        body: { type: 'object', required: ['contacts'], additionalProperties: false, properties: { contacts: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'object', required: ['phone'], additionalProperties: false, properties: contactBody } } } },
        response: errorResponses,
      },
    },
    async (request) => {
      const list = await listOf(request.params.id, request.params.listId);
      const seen = new Set<string>();
      const results = [];
      for (const [index, input] of request.body.contacts.entries()) {
        try {
          const prepared = lists.prepare(list, input);
          if (seen.has(prepared.phone)) throw new ContactRefused('duplicate', `${prepared.phone} is already earlier in this batch`);
          seen.add(prepared.phone);
          const { created } = await lists.put(list, prepared);
          results.push({ index, phone: prepared.phone, status: created ? 'created' : 'updated' });
        } catch (error) {
          if (!(error instanceof ContactRefused)) throw error;
          results.push({ index, phone: input.phone, status: 'skipped', reason: error.reason, message: error.message, ...(error.field && { field: error.field }) });
        }
      }
      const counts = { created: 0, updated: 0, skipped: 0 };
      for (const result of results) counts[result.status as keyof typeof counts]++;
      return { counts, results };
    },
  );

  app.get<{ Params: { id: string; listId: string; phone: string } }>('/sessions/:id/lists/:listId/contacts/:phone', { schema: { tags, summary: 'A member of the list', params: contactParams, response: errorResponses } }, async (request) => {
    const list = await listOf(request.params.id, request.params.listId);
    return contactView(list.session, await lists.contact(list, request.params.phone));
  });

  app.patch<{ Params: { id: string; listId: string; phone: string }; Body: Omit<ContactInput, 'phone'> }>(
    '/sessions/:id/lists/:listId/contacts/:phone',
    { schema: { tags, summary: 'Change a member\'s name, fields (merged; null or "" removes one) or tags (replaced)', params: contactParams, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name: contactBody.name, fields: contactBody.fields, tags: contactBody.tags } }, response: errorResponses } },
    async (request) => {
      const list = await listOf(request.params.id, request.params.listId);
      const existing = await lists.contact(list, request.params.phone);
      let prepared;
      try {
        prepared = lists.prepare(list, { phone: existing.phone, name: request.body.name ?? existing.name, fields: { ...existing.fields, ...request.body.fields }, tags: request.body.tags ?? existing.tags });
      } catch (error) {
        throw refused(error);
      }
      return contactView(list.session, (await lists.put(list, prepared, { replaceFields: true })).contact);
    },
  );

  app.delete<{ Params: { id: string; listId: string; phone: string } }>('/sessions/:id/lists/:listId/contacts/:phone', { schema: { tags, summary: 'Remove a member from the list', params: contactParams, response: errorResponses } }, async (request, reply) => {
    const list = await listOf(request.params.id, request.params.listId);
    if (!(await lists.remove(list, request.params.phone))) throw new ApiError(404, 'contact_not_found', `No contact ${request.params.phone} in the list "${list.name}"`);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string; listId: string } }>('/sessions/:id/lists/:listId/export', { schema: { tags, summary: 'The members as CSV (UTF-8): phone, name, tags, opted out, WhatsApp status and one column per field', params: listParams, response: errorResponses } }, async (request, reply) => {
    const list = await listOf(request.params.id, request.params.listId);
    const session = list.session;
    const declared = list.fields.map((f) => f.name);
    async function* rows(): AsyncGenerator<string> {
      const extra = new Set<string>();
      if (!list.strictFields) for await (const batch of lists.walk(list)) for (const c of batch) for (const name of Object.keys(c.fields)) if (!declared.includes(name)) extra.add(name);
      const columns = [...declared, ...[...extra].sort()];
      yield `${['phone', 'name', 'tags', 'optedOut', 'whatsapp', ...columns].map(csvCell).join(',')}\r\n`;
      for await (const batch of lists.walk(list)) {
        yield batch.map((c) => `${[c.phone, c.name ?? '', c.tags.join(','), String(optOuts.isOptedOut(session, c.phone)), c.whatsapp, ...columns.map((name) => String(c.fields[name] ?? ''))].map(csvCell).join(',')}\r\n`).join('');
      }
    }
    const fileName = `${list.name.replace(/[^\w.-]+/g, '_') || list.id}.csv`;
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${fileName}"`).send(Readable.from(rows()));
  });
};
