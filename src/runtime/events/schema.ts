/**
 * events/: the one event schema the runtime produces (for webhooks, the stream and the n8n trigger alike), defined in
 * `src/contract` (shared with the nodes), and the in-process bus it travels on. See docs/events.md.
 */
export * from '../../contract/events';

/** A change to a chat from any of the account's devices or from WhatsApp (archive, pin, mute, read, group subject). */
export interface ChatSettingsUpdate {
  archived?: boolean;
  pinned?: boolean;
  /** Mute end in ms since the epoch, -1 for always, 0 to unmute. */
  mutedUntil?: number;
  unreadCount?: number;
  name?: string;
}
