/**
 * http/routes/groups: create, list, metadata, participants (add, remove, promote, demote), subject, description,
 * settings (announcement, locked, join approval), invite code (get, revoke), join by code or link, leave, and join
 * requests (list, approve, reject).
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors';
import type { SessionManager } from '../../sessions/manager';
import type { RecipientResolver } from '../../messages/recipients';
import { errorResponses, idParams } from './common';
import { whatsapp } from '../../whatsapp/errors';
import { routePermissions } from '../access';

type GroupMetadata = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).GroupMetadata;

export interface GroupRouteOptions {
  /** Shared by every route, so a number checked once is cached for all of them. */
  recipients: RecipientResolver;
  sessions: SessionManager;
}

const groupParams = { type: 'object', required: ['id', 'groupId'], properties: { id: { type: 'string' }, groupId: { type: 'string', description: 'Group JID (…@g.us) or its digits' } } } as const;
const participantList = { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', minLength: 1 }, description: 'Phone numbers, JIDs or LIDs' } as const;
const participantResults = {
  type: 'object',
  properties: { results: { type: 'array', items: { type: 'object', properties: { participant: { type: 'string' }, status: { type: 'string' }, ok: { type: 'boolean' } } } } },
} as const;

const inviteLinkSchema = { type: 'object', properties: { code: { type: 'string' }, link: { type: 'string' } } } as const;

export const groupRoutes: FastifyPluginAsync<GroupRouteOptions> = async (app, { sessions, recipients }) => {
  routePermissions(app, 'manage');

  function groupJid(groupId: string): string {
    const jid = groupId.includes('@') ? groupId : `${groupId}@g.us`;
    if (!/^[0-9]+(-[0-9]+)?@g\.us$/.test(jid)) throw new ApiError(400, 'invalid_group_id', `"${groupId}" is not a group id (…@g.us)`, { field: 'groupId' });
    return jid;
  }

  function view(group: GroupMetadata) {
    return {
      id: group.id,
      subject: group.subject,
      ...(group.desc !== undefined && { description: group.desc }),
      owner: group.owner ?? null,
      creation: group.creation ?? null,
      size: group.size ?? group.participants.length,
      announcement: !!group.announce,
      locked: !!group.restrict,
      joinApproval: !!group.joinApprovalMode,
      participants: group.participants.map((p) => ({ id: p.id, ...(p.phoneNumber && { phoneNumber: p.phoneNumber }), ...(p.lid && { lid: p.lid }), admin: p.admin ?? null })),
    };
  }

  async function resolveAll(sock: Parameters<RecipientResolver['resolve']>[0], inputs: string[], field: string) {
    return Promise.all(inputs.map((p) => recipients.resolve(sock, p, field)));
  }

  app.post<{ Params: { id: string }; Body: { subject: string; participants: string[] } }>(
    '/sessions/:id/groups',
    {
      schema: {
        tags: ['groups'],
        summary: 'Create a group',
        params: idParams,
        body: { type: 'object', required: ['subject', 'participants'], additionalProperties: false, properties: { subject: { type: 'string', minLength: 1, maxLength: 100 }, participants: participantList } },
        response: { ...errorResponses },
      },
    },
    async (request, reply) => {
      const { sock } = sessions.connected(request.params.id);
      const participants = await resolveAll(sock, request.body.participants, 'participants');
      const group = await whatsapp('create the group', () => sock.groupCreate(request.body.subject, participants));
      return reply.code(201).send(view(group));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/sessions/:id/groups',
    { schema: { tags: ['groups'], summary: 'Groups this account is a member of', params: idParams, response: { ...errorResponses } } },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const groups = await whatsapp('list the groups', () => sock.groupFetchAllParticipating());
      return { groups: Object.values(groups).map(view).sort((x, y) => x.subject.localeCompare(y.subject)) };
    },
  );

  app.post<{ Params: { id: string }; Body: { code: string } }>(
    '/sessions/:id/groups/join',
    {
      schema: {
        tags: ['groups'],
        summary: 'Join a group by its invite code or link',
        params: idParams,
        body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', minLength: 1, description: 'The code, or a https://chat.whatsapp.com/<code> link' } } },
        response: { ...errorResponses },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const code = request.body.code.trim().replace(/^https?:\/\/chat\.whatsapp\.com\//, '').replace(/[/?#].*$/, '');
      if (!/^[A-Za-z0-9_-]{6,64}$/.test(code)) throw new ApiError(400, 'validation_failed', `"${request.body.code}" is not an invite code or link`, { field: 'code' });
      const joined = await whatsapp('join the group (invalid, revoked or expired invite?)', () => sock.groupAcceptInvite(code));
      const pending = !joined || !joined.endsWith('@g.us');
      return pending ? { status: 'requested', message: 'The group needs an admin to approve this request' } : { status: 'joined', groupId: joined };
    },
  );

  app.get<{ Params: { id: string; groupId: string } }>(
    '/sessions/:id/groups/:groupId',
    { schema: { tags: ['groups'], summary: 'Group metadata and participants', params: groupParams, response: { ...errorResponses } } },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      return view(await whatsapp('read the group', () => sock.groupMetadata(groupJid(request.params.groupId))));
    },
  );

  app.patch<{ Params: { id: string; groupId: string }; Body: { subject?: string; description?: string; announcement?: boolean; locked?: boolean; joinApproval?: boolean } }>(
    '/sessions/:id/groups/:groupId',
    {
      schema: {
        tags: ['groups'],
        summary: 'Change subject, description or settings',
        description: '`announcement`: only admins send messages. `locked`: only admins edit group info. `joinApproval`: admins approve new members.',
        params: groupParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { subject: { type: 'string', minLength: 1, maxLength: 100 }, description: { type: 'string', maxLength: 2048 }, announcement: { type: 'boolean' }, locked: { type: 'boolean' }, joinApproval: { type: 'boolean' } },
        },
        response: { ...errorResponses },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const jid = groupJid(request.params.groupId);
      const { subject, description, announcement, locked, joinApproval } = request.body;
      if (subject !== undefined) await whatsapp('change the subject', () => sock.groupUpdateSubject(jid, subject));
      if (description !== undefined) await whatsapp('change the description', () => sock.groupUpdateDescription(jid, description || undefined));
      if (announcement !== undefined) await whatsapp('change who can send messages', () => sock.groupSettingUpdate(jid, announcement ? 'announcement' : 'not_announcement'));
      if (locked !== undefined) await whatsapp('change who can edit group info', () => sock.groupSettingUpdate(jid, locked ? 'locked' : 'unlocked'));
      if (joinApproval !== undefined) await whatsapp('change join approval', () => sock.groupJoinApprovalMode(jid, joinApproval ? 'on' : 'off'));
      return view(await whatsapp('read the group', () => sock.groupMetadata(jid)));
    },
  );

  app.post<{ Params: { id: string; groupId: string }; Body: { action: 'add' | 'remove' | 'promote' | 'demote'; participants: string[] } }>(
    '/sessions/:id/groups/:groupId/participants',
    {
      schema: {
        tags: ['groups'],
        summary: 'Add, remove, promote or demote participants',
        params: groupParams,
        body: { type: 'object', required: ['action', 'participants'], additionalProperties: false, properties: { action: { type: 'string', enum: ['add', 'remove', 'promote', 'demote'] }, participants: participantList } },
        response: { 200: participantResults, ...errorResponses },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const jid = groupJid(request.params.groupId);
      const participants = await resolveAll(sock, request.body.participants, 'participants');
      const results = await whatsapp(`${request.body.action} participants`, () => sock.groupParticipantsUpdate(jid, participants, request.body.action));
      return { results: results.map((r) => ({ participant: r.jid ?? '', status: r.status, ok: r.status === '200' })) };
    },
  );

  app.get<{ Params: { id: string; groupId: string } }>(
    '/sessions/:id/groups/:groupId/invite-code',
    {
      schema: { tags: ['groups'], summary: 'The group\'s invite code and link (admins only)', params: groupParams, response: { 200: inviteLinkSchema, ...errorResponses } },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      return inviteLink(await whatsapp('get the invite code', () => sock.groupInviteCode(groupJid(request.params.groupId))));
    },
  );

  app.post<{ Params: { id: string; groupId: string } }>(
    '/sessions/:id/groups/:groupId/invite-code/revoke',
    {
      schema: { tags: ['groups'], summary: 'Revoke the invite code (the old link stops working) and get the new one', params: groupParams, response: { 200: inviteLinkSchema, ...errorResponses } },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      return inviteLink(await whatsapp('revoke the invite code', () => sock.groupRevokeInvite(groupJid(request.params.groupId))));
    },
  );

  app.post<{ Params: { id: string; groupId: string } }>(
    '/sessions/:id/groups/:groupId/leave',
    { schema: { tags: ['groups'], summary: 'Leave the group', params: groupParams, response: { 200: { type: 'object', properties: { left: { type: 'string' } } }, ...errorResponses } } },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const jid = groupJid(request.params.groupId);
      await whatsapp('leave the group', () => sock.groupLeave(jid));
      return { left: jid };
    },
  );

  app.get<{ Params: { id: string; groupId: string } }>(
    '/sessions/:id/groups/:groupId/join-requests',
    { schema: { tags: ['groups'], summary: 'Pending requests to join (admins only)', params: groupParams, response: { ...errorResponses } } },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const requests = await whatsapp('list the join requests', () => sock.groupRequestParticipantsList(groupJid(request.params.groupId)));
      return { requests: requests.map((r) => ({ participant: String(r.jid), requestedAt: r.request_time ? Number(r.request_time) : null, method: r.request_method ?? null })) };
    },
  );

  app.post<{ Params: { id: string; groupId: string }; Body: { action: 'approve' | 'reject'; participants: string[] } }>(
    '/sessions/:id/groups/:groupId/join-requests',
    {
      schema: {
        tags: ['groups'],
        summary: 'Approve or reject join requests',
        params: groupParams,
        body: { type: 'object', required: ['action', 'participants'], additionalProperties: false, properties: { action: { type: 'string', enum: ['approve', 'reject'] }, participants: participantList } },
        response: { 200: participantResults, ...errorResponses },
      },
    },
    async (request) => {
      const { sock } = sessions.connected(request.params.id);
      const participants = await resolveAll(sock, request.body.participants, 'participants');
      const results = await whatsapp(`${request.body.action} join requests`, () => sock.groupRequestParticipantsUpdate(groupJid(request.params.groupId), participants, request.body.action));
      return { results: results.map((r) => ({ participant: r.jid ?? '', status: r.status, ok: r.status === '200' })) };
    },
  );
};

function inviteLink(code: string | undefined): { code: string; link: string } {
  if (!code) throw new ApiError(502, 'whatsapp_error', 'WhatsApp returned no invite code');
  return { code, link: `https://chat.whatsapp.com/${code}` };
}
