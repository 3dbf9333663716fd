/**
 * chats/: one session's chats as the runtime saw them: a record per chat (name, last message, unread count,
 * archive/mute/pin state) and, per chat, the ids of its messages in pages of PAGE_SIZE so that recent messages can
 * be listed newest first without scanning the message store. Messages themselves live in the session's message
 * store (`<chat>|<id>`); pages (`page|<chat>|<n>`) sit beside them and expire with them.
 */
import type Keyv from 'keyv';
import type { ChatSettingsUpdate, MessageEventData } from '../events/schema';
import type { WAMessage } from '../events/normalize';

export const PAGE_SIZE = 100;

export interface ChatRecord {
  id: string;
  type: 'direct' | 'group' | 'broadcast' | 'newsletter';
  name?: string;
  /** Unix seconds of the newest message. */
  lastMessageAt: number;
  lastMessage?: { messageId: string; fromMe: boolean; kind: string; text?: string };
  unreadCount: number;
  archived: boolean;
  pinned: boolean;
  /** Mute end in ms since the epoch, -1 for always; absent when not muted. */
  mutedUntil?: number;
  /** Index of the newest message page. */
  newestPage: number;
  /** For a person named by phone number: the LID WhatsApp also addresses them by. */
  lid?: string;
  /** Chats recorded under the LID before the phone number was known, merged into this one (their pages stay). */
  mergedFrom?: { id: string; newestPage: number }[];
}


export class ChatStore {
  private readonly records = new Map<string, ChatRecord>();
  private readonly newestPages = new Map<string, string[]>();
  /** LID → the chat named by phone number. */
  private readonly byLid = new Map<string, string>();
  private loaded?: Promise<void>;
  /** Writes per chat run one after the other so pages never lose an id. */
  private readonly lanes = new Map<string, Promise<unknown>>();

  constructor(
    private readonly chats: Keyv<ChatRecord>,
    private readonly messageStore: Keyv,
    private readonly retentionMs: number,
  ) {}

  /** Adds a conversation message (not reactions, edits or other carriers) to its chat. */
  async record(data: MessageEventData, options: { name?: string } = {}): Promise<void> {
    await this.inLane(data.chatId, async () => {
      let chat = (await this.get(data.chatId)) ?? this.empty(data.chatId, data.chatType);
      if (data.chatLid && data.chatLid !== chat.id) chat = await this.absorb(chat, data.chatLid);
      const page = await this.page(chat.id, chat.newestPage);
      if (page.includes(data.messageId)) return;
      let pageIndex = chat.newestPage;
      let ids = page;
      if (ids.length >= PAGE_SIZE) {
        pageIndex++;
        ids = [];
      }
      ids = [...ids, data.messageId];
      const newer = data.messageTimestamp >= chat.lastMessageAt;
      const next: ChatRecord = {
        ...chat,
        newestPage: pageIndex,
        ...(newer && { lastMessageAt: data.messageTimestamp, lastMessage: { messageId: data.messageId, fromMe: data.fromMe, kind: data.kind, ...(data.text !== undefined && { text: data.text.slice(0, 200) }) } }),
        unreadCount: data.fromMe ? 0 : chat.unreadCount + 1,
        ...(!chat.name && (options.name ?? (!data.fromMe && data.chatType === 'direct' ? data.pushName : undefined)) ? { name: options.name ?? data.pushName } : {}),
      };
      this.remember(next);
      this.newestPages.set(next.id, ids);
      // both in one commit
      await Promise.all([this.messageStore.set(pageKey(next.id, pageIndex), ids, this.retentionMs), this.chats.set(next.id, next)]);
    });
  }

  /** The chat kept under `lid` before the person's number was known becomes part of `chat`. */
  private async absorb(chat: ChatRecord, lid: string): Promise<ChatRecord> {
    const old = this.records.get(lid);
    const merged: ChatRecord = { ...chat, lid };
    if (!old) return merged;
    this.records.delete(lid);
    this.newestPages.delete(lid);
    await this.chats.delete(lid);
    const newer = old.lastMessageAt > chat.lastMessageAt ? old : chat;
    return {
      ...merged,
      name: chat.name ?? old.name,
      lastMessageAt: newer.lastMessageAt,
      ...(newer.lastMessage && { lastMessage: newer.lastMessage }),
      unreadCount: chat.unreadCount + old.unreadCount,
      archived: chat.archived && old.archived,
      pinned: chat.pinned || old.pinned,
      ...((chat.mutedUntil ?? old.mutedUntil) !== undefined && { mutedUntil: chat.mutedUntil ?? old.mutedUntil }),
      mergedFrom: [...(chat.mergedFrom ?? []), { id: lid, newestPage: old.newestPage }, ...(old.mergedFrom ?? [])],
    };
  }

  private remember(chat: ChatRecord): void {
    this.records.set(chat.id, chat);
    if (chat.lid) this.byLid.set(chat.lid, chat.id);
  }

  async update(chatId: string, update: ChatSettingsUpdate): Promise<ChatRecord> {
    await this.load();
    const id = this.byLid.get(chatId) ?? chatId;
    return this.inLane(id, async () => {
      const chat = (await this.get(id)) ?? this.empty(id, id.endsWith('@g.us') ? 'group' : 'direct');
      const next: ChatRecord = { ...chat, ...update };
      if (update.mutedUntil === 0) delete next.mutedUntil;
      this.remember(next);
      await this.chats.set(id, next);
      return next;
    });
  }

  /** A chat by its id or, for a person, by their LID. */
  async get(chatId: string): Promise<ChatRecord | undefined> {
    await this.load();
    const chat = this.records.get(chatId) ?? this.records.get(this.byLid.get(chatId) ?? '');
    return chat && this.current(chat);
  }

  /** The last-message preview goes with the messages: past their retention a chat shows none. */
  private current(chat: ChatRecord, now = Date.now()): ChatRecord {
    if (!chat.lastMessage || chat.lastMessageAt * 1000 >= now - this.retentionMs) return chat;
    const { lastMessage: _expired, ...rest } = chat;
    return rest;
  }

  /** Removes the expired previews from the store (the purge job); answers how many chats it changed. */
  async purge(now = Date.now()): Promise<number> {
    await this.load();
    let changed = 0;
    for (const chat of [...this.records.values()]) {
      const current = this.current(chat, now);
      if (current === chat) continue;
      await this.inLane(chat.id, async () => {
        this.remember(current);
        await this.chats.set(chat.id, current);
      });
      changed++;
    }
    return changed;
  }

  /** Chats, pinned first, then the most recent first; `offset` pages through them. */
  /** `search`: part of the chat's name (any case) or of its number (digits, at least three). */
  async list(options: { limit: number; offset: number; archived?: boolean; search?: string }): Promise<{ chats: ChatRecord[]; total: number }> {
    await this.load();
    const matches = options.search ? chatMatcher(options.search) : () => true;
    const all = [...this.records.values()]
      .map((c) => this.current(c))
      .filter((c) => (options.archived === undefined || c.archived === options.archived) && matches(c))
      .sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.lastMessageAt - a.lastMessageAt);
    return { chats: all.slice(options.offset, options.offset + options.limit), total: all.length };
  }

  /**
   * Messages of a chat, newest first: up to `limit`, older than the message `before` when given. Messages past
   * their retention are skipped.
   */
  async messages(chatId: string, options: { limit: number; before?: string }): Promise<{ messages: WAMessage[]; nextBefore?: string }> {
    const chat = await this.get(chatId);
    if (!chat) return { messages: [] };
    const keys: string[] = [];
    let started = !options.before;
    let hasMore = false;
    // the chat's own pages, then those of the LID chat it absorbed (older: from before the number was known)
    for (const source of [{ id: chat.id, newestPage: chat.newestPage }, ...(chat.mergedFrom ?? [])]) {
      for (let index = source.newestPage; index >= 0 && !hasMore; index--) {
        const page = await this.page(source.id, index);
        for (let i = page.length - 1; i >= 0; i--) {
          if (!started) {
            started = page[i] === options.before;
            continue;
          }
          if (keys.length === options.limit) {
            hasMore = true;
            break;
          }
          keys.push(`${source.id}|${page[i]}`);
        }
      }
      if (hasMore) break;
    }
    const stored = keys.length ? await this.messageStore.getMany(keys) : [];
    const messages = stored.filter((m): m is WAMessage => !!m);
    return { messages, ...(hasMore && { nextBefore: keys[keys.length - 1].split('|').pop() }) };
  }

  async clear(): Promise<void> {
    this.records.clear();
    this.newestPages.clear();
    this.byLid.clear();
    this.loaded = undefined;
    await this.chats.clear();
  }

  private empty(id: string, type: ChatRecord['type']): ChatRecord {
    return { id, type, lastMessageAt: 0, unreadCount: 0, archived: false, pinned: false, newestPage: 0 };
  }

  private async page(chatId: string, index: number): Promise<string[]> {
    const chat = this.records.get(chatId);
    if (chat?.newestPage === index && this.newestPages.has(chatId)) return this.newestPages.get(chatId)!;
    const ids = ((await this.messageStore.get(pageKey(chatId, index))) as string[] | undefined) ?? [];
    if (chat?.newestPage === index) this.newestPages.set(chatId, ids);
    return ids;
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      for await (const [, record] of this.chats.iterator!(this.chats.namespace)) {
        const chat = record as ChatRecord;
        if (!this.records.has(chat.id)) this.remember(chat);
      }
    })();
    return this.loaded;
  }

  private inLane<T>(chatId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.lanes.get(chatId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.lanes.set(chatId, next);
    void next.finally(() => {
      if (this.lanes.get(chatId) === next) this.lanes.delete(chatId);
    }).catch(() => undefined);
    return next;
  }
}

function pageKey(chatId: string, index: number): string {
  return `page|${chatId}|${index}`;
}

function chatMatcher(search: string): (chat: ChatRecord) => boolean {
  const text = search.trim().toLowerCase();
  const digits = search.replace(/\D/g, '');
  return (chat) => !!chat.name?.toLowerCase().includes(text) || (digits.length >= 3 && chat.id.split('@')[0].includes(digits));
}
