/**
 * events/: the one event schema the runtime produces (for webhooks, the stream and the n8n trigger alike) and the
 * in-process bus it travels on. See docs/events.md for every type and its `data`.
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
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface RuntimeEvent<T = Record<string, unknown>> {
  /** Unique per event; stable for the same WhatsApp fact, so subscribers can de-duplicate on it. */
  id: string;
  type: EventType;
  /** The session (linked number) the event belongs to. */
  session: string;
  /** ISO 8601 time the runtime produced the event. */
  timestamp: string;
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

/** A change to a chat from any of the account's devices or from WhatsApp (archive, pin, mute, read, group subject). */
export interface ChatSettingsUpdate {
  archived?: boolean;
  pinned?: boolean;
  /** Mute end in ms since the epoch, -1 for always, 0 to unmute. */
  mutedUntil?: number;
  unreadCount?: number;
  name?: string;
}

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
