/**
 * contract/events: the one event schema, shared by the runtime (which produces the events) and the n8n nodes (which
 * receive them); no dependencies. `EventDataMap` ties each type to its `data`; docs/events.md describes them.
 */
export const EVENT_TYPES = [
  'message.received',
  'message.sent',
  'message.status',
  'message.reaction',
  'message.edited',
  'message.deleted',
  'message.undecryptable',
  'poll.vote',
  'session.status',
  'session.qr',
  'session.limited',
  'campaign.recipient',
  'campaign.updated',
  'campaign.completed',
  'group.joined',
  'group.participants',
  'group.updated',
  'presence.update',
  'call.received',
  'contact.updated',
  'contact.opted_out',
  'contact.opted_in',
  'contact_list.import',
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Whether an event type matches a subscription pattern: `*`, a family such as `message.*`, or the type itself. */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

export interface RuntimeEvent<T = Record<string, unknown>> {
  /** Unique per event; stable for the same WhatsApp fact, so subscribers can de-duplicate on it. */
  id: string;
  type: EventType;
  /** The session (linked number) the event belongs to. */
  session: string;
  /** ISO 8601 time the runtime produced the event. */
  timestamp: string;
  /** The API request that caused the event (a send, a stop), as in its `X-Request-Id` answer header. */
  requestId?: string;
  data: T;
}

export type MessageKind =
  | 'text'
  | 'image'
  | 'video'
  | 'audio'
  | 'voice'
  | 'document'
  | 'sticker'
  | 'location'
  | 'contact'
  | 'poll'
  | 'unknown';

/** `data` of message.undecryptable: a message that arrived but could not be decrypted (yet). */
export interface UndecryptableEventData {
  messageId: string;
  chatId: string;
  chatLid?: string;
  /** Sender as a phone-number JID and its digits, and as a LID, when known. */
  from?: string;
  fromPhoneNumber?: string;
  fromLid?: string;
  /** For group messages: the participant that sent it. */
  participant?: string;
  /** libsignal's reason, for example "Bad MAC" or "No session record". */
  reason: string;
  /** Whether a retry receipt asks the sender's phone to encrypt it again; the message then arrives as message.received with this id. */
  retryRequested: boolean;
  messageTimestamp: number;
  offline: boolean;
}

/** `data` of poll.vote. */
export interface PollVoteEventData {
  pollMessageId: string;
  chatId: string;
  /** The poll's question. */
  poll: string;
  voter?: string;
  voterPhoneNumber?: string;
  voterLid?: string;
  /** Option names; empty when the voter withdrew the vote. */
  selectedOptions: string[];
  voteMessageId: string;
  timestamp: number;
}

/** `data` of message.received and message.sent. */
export interface MessageEventData {
  messageId: string;
  /**
   * The chat: a group JID, or for a person the phone-number JID once WhatsApp told which number a LID belongs to
   * (the LID until then), whichever way the message was addressed.
   */
  chatId: string;
  /** A person's LID JID, when known (beside `chatId`, the same chat). */
  chatLid?: string;
  chatType: 'direct' | 'group' | 'broadcast' | 'newsletter';
  fromMe: boolean;
  /** Sender as a phone-number JID when known (for groups: the participant). */
  from?: string;
  /** Sender's phone number digits, when known. */
  fromPhoneNumber?: string;
  /** Sender as a LID JID when known. */
  fromLid?: string;
  pushName?: string;
  kind: MessageKind;
  text?: string;
  /** Media details for image, video, audio, voice, document and sticker messages. */
  media?: { mimetype?: string; fileName?: string; fileLength?: number; seconds?: number; caption?: string };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  contacts?: { displayName?: string; vcard?: string }[];
  poll?: { name: string; options: string[]; selectableCount: number };
  quoted?: { messageId: string; participant?: string; text?: string };
  mentions?: string[];
  /** Unix seconds of the WhatsApp message. */
  messageTimestamp: number;
  /** True when the message was queued by WhatsApp while the session was offline. */
  offline: boolean;
}

/**
 * How n8n's trigger lists each type (alphabetical by name there). `webhook.test` is never a workflow's event. n8n
 * shows them as "On <name, lower case, camel case split>": no "WhatsApp" or "QR" in them ("whats app", "qr").
 */
export const EVENT_TYPE_NAMES: Record<Exclude<EventType, 'webhook.test'>, string> = {
  'call.received': 'Call Received',
  'campaign.completed': 'Campaign Completed',
  'campaign.recipient': 'Campaign Recipient Update',
  'campaign.updated': 'Campaign Updated',
  'contact.updated': 'Contact Updated',
  'contact.opted_out': 'Contact Opted Out',
  'contact.opted_in': 'Contact Opted In',
  'contact_list.import': 'Contact List Import Progress',
  'group.joined': 'Group Joined',
  'group.participants': 'Group Participants Changed',
  'group.updated': 'Group Updated',
  'message.deleted': 'Message Deleted',
  'message.edited': 'Message Edited',
  'message.reaction': 'Message Reaction',
  'message.received': 'Message Received',
  'message.sent': 'Message Sent',
  'message.status': 'Message Status',
  'message.undecryptable': 'Message Undecryptable',
  'poll.vote': 'Poll Vote',
  'presence.update': 'Presence Update',
  'session.limited': 'Session Limited',
  'session.qr': 'Session Waiting for a Scan',
  'session.status': 'Session Status',
};

/** `data` of contact.opted_out and contact.opted_in. */
export interface OptOutEventData {
  /** E.164. */
  phone: string;
  chatId?: string;
  /** `keyword`: the contact wrote one; `api`: a client changed it. */
  how: 'keyword' | 'api';
  keyword?: string;
}

/** `data` of message.status. */
export interface MessageStatusData {
  messageId: string | null | undefined;
  chatId: string | null | undefined;
  chatLid?: string;
  fromMe: boolean;
  status: string;
  participant?: string | null;
  reason?: string;
}

/** `data` shared by the events about another message (reaction, edit, delete). */
interface CarrierData {
  chatId: string;
  chatLid?: string;
  fromMe: boolean;
  from?: string;
  fromLid?: string;
  messageId: string;
}

export interface ParticipantData {
  id: string;
  phoneNumber?: string;
  lid?: string;
  admin: string | null;
}

/** Each event type's `data`. */
export interface EventDataMap {
  'message.received': MessageEventData;
  'message.sent': MessageEventData;
  'message.status': MessageStatusData;
  'message.reaction': CarrierData & { emoji: string; removed: boolean; reactionMessageId: string };
  'message.edited': CarrierData & { text?: string | null; editMessageId: string };
  'message.deleted': CarrierData & { deleteMessageId: string };
  'message.undecryptable': UndecryptableEventData;
  'poll.vote': PollVoteEventData;
  'session.status': { status: string; reason: { code?: number; message: string }; me?: { id: string; lid?: string; phoneNumber: string; name?: string } };
  'session.qr': { qr: string };
  'session.limited': { active: boolean; reason: string; scope: string; code?: number; since: string; until: string | null };
  'campaign.recipient': { campaignId: string; index: number; to: string; status: string; messageId?: string; reason?: string };
  'campaign.updated': { campaignId: string; status: string; counts: Record<string, number> };
  'campaign.completed': { campaignId: string; name?: string; status: string; total: number; counts: Record<string, number> };
  'group.joined': { groupId: string; subject?: string; owner?: string | null; participants: ParticipantData[]; author?: string };
  'group.participants': { groupId: string; action: string; author?: string; authorPhoneNumber?: string; participants: ParticipantData[] };
  'group.updated': { groupId?: string | null; author?: string; changes: Record<string, unknown> };
  'presence.update': { chatId: string; presences: Record<string, unknown> };
  'call.received': { callId: string; from: string; callerPhoneNumber?: string; chatId: string; isVideo: boolean; isGroup: boolean; status: string; offline: boolean; autoRejected: boolean };
  'contact.updated': { contactId?: string | null } & Record<string, unknown>;
  'contact.opted_out': OptOutEventData;
  'contact.opted_in': OptOutEventData;
  'contact_list.import': { listId: string; importId: string; status: 'running' | 'checking' | 'completed' | 'failed'; processed: number; created: number; updated: number; skipped: number; checked: number; error?: string };
  'webhook.test': { message: string };
}
