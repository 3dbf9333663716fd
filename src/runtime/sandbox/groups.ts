/**
 * sandbox/groups: simulated groups: the `w:g2` IQs (create, metadata, participants, subject, description,
 * settings, invite codes, join, leave, participating) and the `w:gp2` notifications WhatsApp sends every member's
 * devices when a group changes. Groups use phone-number addressing.
 */
import { randomBytes } from 'node:crypto';
import type { BinaryNode } from './phone';
import type { SimUser } from './users';

export type ParticipantRole = 'superadmin' | 'admin' | null;

export interface SimGroup {
  id: string;
  subject: string;
  description?: string;
  descriptionId?: string;
  creator: SimUser;
  creation: number;
  participants: Map<SimUser, ParticipantRole>;
  announce: boolean;
  restrict: boolean;
  inviteCode: string;
  /** New members need an admin's approval (joining by invite only files a request). */
  joinApproval: boolean;
  /** Pending join requests and when they were made (seconds). */
  joinRequests: Map<SimUser, number>;
}

export interface GroupHost {
  findUser(jidOrPhone: string): SimUser | undefined;
  /** Sends `node` to every linked device of every user in `users` (queued while offline). */
  notify(users: Iterable<SimUser>, node: BinaryNode): void;
}

type Result = (content?: BinaryNode[]) => BinaryNode;
type GroupError = (code: number, text: string) => BinaryNode;

export class GroupDirectory {
  private readonly groups = new Map<string, SimGroup>();
  private nextId = 120363000000000001n;

  constructor(private readonly host: GroupHost) {}

  get(jid: string): SimGroup | undefined {
    return this.groups.get(jid.split('@')[0]);
  }

  all(): SimGroup[] {
    return [...this.groups.values()];
  }

  /** Creates a group as `creator` would from its phone; every member's devices learn about it. */
  create(creator: SimUser, subject: string, members: SimUser[]): SimGroup {
    const group: SimGroup = {
      id: String(this.nextId++),
      subject,
      creator,
      creation: nowSeconds(),
      participants: new Map<SimUser, ParticipantRole>([[creator, 'superadmin'], ...members.filter((m) => m !== creator).map((m): [SimUser, ParticipantRole] => [m, null])]),
      announce: false,
      restrict: false,
      inviteCode: randomBytes(16).toString('base64url').slice(0, 22),
      joinApproval: false,
      joinRequests: new Map(),
    };
    this.groups.set(group.id, group);
    this.host.notify(group.participants.keys(), this.notification(group, creator, [{ tag: 'create', attrs: {}, content: [this.metadataNode(group)] }]));
    return group;
  }

  /** Changes a group as `actor` would from its phone, notifying every member. */
  change(group: SimGroup, actor: SimUser, change: { action: 'add' | 'remove' | 'promote' | 'demote'; users: SimUser[] } | { subject: string } | { description: string } | { setting: 'announcement' | 'not_announcement' | 'locked' | 'unlocked' }): void {
    const before = new Set(group.participants.keys());
    let child: BinaryNode;
    if ('action' in change) {
      for (const user of change.users) applyParticipantAction(group, change.action, user);
      child = { tag: change.action, attrs: {}, content: change.users.map((u) => participantNode(u)) };
    } else if ('subject' in change) {
      group.subject = change.subject;
      child = { tag: 'subject', attrs: { subject: change.subject, s_o: actor.pnJid, s_t: String(nowSeconds()) } };
    } else if ('description' in change) {
      group.description = change.description;
      group.descriptionId = randomBytes(8).toString('hex').toUpperCase();
      child = { tag: 'description', attrs: { id: group.descriptionId }, content: [{ tag: 'body', attrs: {}, content: Buffer.from(change.description) }] };
    } else {
      if (change.setting === 'announcement' || change.setting === 'not_announcement') group.announce = change.setting === 'announcement';
      else group.restrict = change.setting === 'locked';
      child = { tag: change.setting, attrs: {} };
    }
    const audience = new Set([...before, ...group.participants.keys()]);
    this.host.notify(audience, this.notification(group, actor, [child]));
  }

  /** `user` asks to join a group that needs approval, as by following its invite link on the phone. */
  requestToJoin(group: SimGroup, user: SimUser): void {
    if (!group.participants.has(user)) group.joinRequests.set(user, nowSeconds());
  }

  /** Answers one `w:g2` IQ from `actor`'s linked device. */
  handleIq(actor: SimUser, node: BinaryNode, result: Result, error: GroupError): BinaryNode {
    const child = Array.isArray(node.content) ? node.content[0] : undefined;
    if (!child) return error(400, 'bad-request');
    const target = node.attrs.to;
    if (target === '@g.us' || target === 'g.us') return this.handleGlobalIq(actor, node, child, result, error);
    const group = target ? this.get(target) : undefined;
    if (!group) return error(404, 'item-not-found');
    const isMember = group.participants.has(actor);
    const isAdmin = !!group.participants.get(actor);
    if (child.tag === 'invite' && node.attrs.type === 'get' && !child.attrs.code) {
      return isAdmin ? result([{ tag: 'invite', attrs: { code: group.inviteCode } }]) : error(401, 'not-authorized');
    }
    if (!isMember) return error(403, 'forbidden');
    switch (child.tag) {
      case 'query':
        return result([this.metadataNode(group)]);
      case 'add':
      case 'remove':
      case 'promote':
      case 'demote': {
        if (!isAdmin) return error(401, 'not-authorized');
        const affected: SimUser[] = [];
        const rows = children(child).map((p): BinaryNode => {
          const user = this.host.findUser(p.attrs.jid);
          if (!user) return { tag: 'participant', attrs: { jid: p.attrs.jid, error: '404' } };
          const present = group.participants.has(user);
          if ((child.tag === 'add' && present) || (child.tag !== 'add' && !present)) {
            return { tag: 'participant', attrs: { jid: p.attrs.jid, error: child.tag === 'add' ? '409' : '404' } };
          }
          affected.push(user);
          return { tag: 'participant', attrs: { jid: p.attrs.jid } };
        });
        if (affected.length) this.change(group, actor, { action: child.tag, users: affected });
        return result([{ tag: child.tag, attrs: {}, content: rows }]);
      }
      case 'subject':
        if (group.restrict && !isAdmin) return error(401, 'not-authorized');
        this.change(group, actor, { subject: Buffer.from((child.content as Uint8Array | undefined) ?? []).toString() });
        return result();
      case 'description': {
        if (group.restrict && !isAdmin) return error(401, 'not-authorized');
        const body = children(child).find((c) => c.tag === 'body');
        this.change(group, actor, { description: body?.content ? Buffer.from(body.content as Uint8Array).toString() : '' });
        return result();
      }
      case 'announcement':
      case 'not_announcement':
      case 'locked':
      case 'unlocked':
        if (!isAdmin) return error(401, 'not-authorized');
        this.change(group, actor, { setting: child.tag });
        return result();
      case 'membership_approval_requests':
        if (!isAdmin) return error(401, 'not-authorized');
        return result([
          {
            tag: 'membership_approval_requests',
            attrs: {},
            content: [...group.joinRequests].map(([user, t]): BinaryNode => ({ tag: 'membership_approval_request', attrs: { jid: user.pnJid, request_method: 'invite_link', request_time: String(t) } })),
          },
        ]);
      case 'membership_requests_action': {
        if (!isAdmin) return error(401, 'not-authorized');
        const decision = children(child)[0];
        if (decision?.tag !== 'approve' && decision?.tag !== 'reject') return error(400, 'bad-request');
        const approved: SimUser[] = [];
        const rows = children(decision).map((p): BinaryNode => {
          const user = this.host.findUser(p.attrs.jid);
          if (!user || !group.joinRequests.has(user)) return { tag: 'participant', attrs: { jid: p.attrs.jid, error: '404' } };
          group.joinRequests.delete(user);
          if (decision.tag === 'approve') approved.push(user);
          return { tag: 'participant', attrs: { jid: p.attrs.jid } };
        });
        if (approved.length) this.change(group, actor, { action: 'add', users: approved });
        return result([{ tag: 'membership_requests_action', attrs: {}, content: [{ tag: decision.tag, attrs: {}, content: rows }] }]);
      }
      case 'membership_approval_mode': {
        if (!isAdmin) return error(401, 'not-authorized');
        group.joinApproval = children(child)[0]?.attrs.state === 'on';
        return result();
      }
      case 'invite':
        if (!isAdmin) return error(401, 'not-authorized');
        group.inviteCode = randomBytes(16).toString('base64url').slice(0, 22);
        return result([{ tag: 'invite', attrs: { code: group.inviteCode } }]);
      default:
        return result();
    }
  }

  private handleGlobalIq(actor: SimUser, node: BinaryNode, child: BinaryNode, result: Result, error: GroupError): BinaryNode {
    switch (child.tag) {
      case 'create': {
        const members = children(child).flatMap((p) => {
          const user = this.host.findUser(p.attrs.jid);
          return user ? [user] : [];
        });
        const group = this.create(actor, child.attrs.subject ?? '', members);
        return result([this.metadataNode(group)]);
      }
      case 'participating':
        return result([{ tag: 'groups', attrs: {}, content: this.all().filter((g) => g.participants.has(actor)).map((g) => this.metadataNode(g)) }]);
      case 'leave': {
        for (const entry of children(child)) {
          const group = this.get(entry.attrs.id);
          if (group?.participants.has(actor)) this.change(group, actor, { action: 'remove', users: [actor] });
        }
        return result();
      }
      case 'invite': {
        const group = this.all().find((g) => g.inviteCode === child.attrs.code);
        if (!group) return error(406, 'not-acceptable');
        if (node.attrs.type === 'get') return result([this.metadataNode(group)]);
        if (group.joinApproval && !group.participants.has(actor)) {
          group.joinRequests.set(actor, nowSeconds());
          return result([{ tag: 'membership_approval_request', attrs: { jid: `${group.id}@g.us` } }]);
        }
        if (!group.participants.has(actor)) this.change(group, actor, { action: 'add', users: [actor] });
        return result([{ tag: 'group', attrs: { jid: `${group.id}@g.us` } }]);
      }
      default:
        return error(400, 'bad-request');
    }
  }

  metadataNode(group: SimGroup): BinaryNode {
    return {
      tag: 'group',
      attrs: {
        id: group.id,
        subject: group.subject,
        s_t: String(group.creation),
        s_o: group.creator.pnJid,
        creation: String(group.creation),
        creator: group.creator.pnJid,
        size: String(group.participants.size),
        addressing_mode: 'pn',
      },
      content: [
        ...[...group.participants.entries()].map(([user, role]) => participantNode(user, role)),
        ...(group.description !== undefined ? [{ tag: 'description', attrs: { id: group.descriptionId ?? '', t: String(nowSeconds()), participant: group.creator.pnJid }, content: [{ tag: 'body', attrs: {}, content: Buffer.from(group.description) }] }] : []),
        ...(group.announce ? [{ tag: 'announcement', attrs: {} }] : []),
        ...(group.restrict ? [{ tag: 'locked', attrs: {} }] : []),
        ...(group.joinApproval ? [{ tag: 'membership_approval_mode', attrs: {}, content: [{ tag: 'group_join', attrs: { state: 'on' } }] }] : []),
      ],
    };
  }

  private notification(group: SimGroup, actor: SimUser, content: BinaryNode[]): BinaryNode {
    return {
      tag: 'notification',
      attrs: { from: `${group.id}@g.us`, type: 'w:gp2', id: randomBytes(8).toString('hex').toUpperCase(), t: String(nowSeconds()), participant: actor.pnJid, notify: actor.name },
      content,
    };
  }
}

function applyParticipantAction(group: SimGroup, action: 'add' | 'remove' | 'promote' | 'demote', user: SimUser): void {
  if (action === 'add') group.participants.set(user, null);
  else if (action === 'remove') group.participants.delete(user);
  else if (group.participants.has(user)) group.participants.set(user, action === 'promote' ? 'admin' : null);
}

function participantNode(user: SimUser, role?: ParticipantRole): BinaryNode {
  return { tag: 'participant', attrs: { jid: user.pnJid, lid: user.lidJid, ...(role && { type: role }) } };
}

function children(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : [];
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
