/**
 * chats/: one session's chats as the runtime saw them: a record per chat (name, last message, unread count,
 * archive/mute/pin state) and, per chat, the ids of its messages in pages of PAGE_SIZE so that recent messages can
 * be listed newest first without scanning the message store. Messages themselves live in the session's message
 * store (`<chat>|<id>`); pages (`page|<chat>|<n>`) sit beside them and expire with them.
 */
import type Keyv from 'keyv';
import type { MessageEventData } from '../events/schema';
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
}

export type ChatSettingsUpdate = Partial<Pick<ChatRecord, 'archived' | 'pinned' | 'mutedUntil' | 'unreadCount' | 'name'>>;

export class ChatStore {
  private readonly records = new Map<string, ChatRecord>();
  private readonly newestPages = new Map<string, string[]>();
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
      const chat = (await this.get(data.chatId)) ?? this.empty(data.chatId, data.chatType);
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
      this.records.set(next.id, next);
      this.newestPages.set(next.id, ids);
      await this.messageStore.set(pageKey(next.id, pageIndex), ids, this.retentionMs);
      await this.chats.set(next.id, next);
    });
  }

  async update(chatId: string, update: ChatSettingsUpdate): Promise<ChatRecord> {
    return this.inLane(chatId, async () => {
      const chat = (await this.get(chatId)) ?? this.empty(chatId, chatId.endsWith('@g.us') ? 'group' : 'direct');
      const next: ChatRecord = { ...chat, ...update };
      if (update.mutedUntil === 0) delete next.mutedUntil;
      this.records.set(chatId, next);
      await this.chats.set(chatId, next);
      return next;
    });
  }

  async get(chatId: string): Promise<ChatRecord | undefined> {
    await this.load();
    return this.records.get(chatId);
  }

  /** Chats, pinned first, then the most recent first; `offset` pages through them. */
  async list(options: { limit: number; offset: number; archived?: boolean }): Promise<{ chats: ChatRecord[]; total: number }> {
    await this.load();
    const all = [...this.records.values()]
      .filter((c) => options.archived === undefined || c.archived === options.archived)
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
    const ids: string[] = [];
    let started = !options.before;
    let hasMore = false;
    for (let index = chat.newestPage; index >= 0; index--) {
      const page = await this.page(chatId, index);
      for (let i = page.length - 1; i >= 0; i--) {
        if (!started) {
          started = page[i] === options.before;
          continue;
        }
        if (ids.length === options.limit) {
          hasMore = true;
          break;
        }
        ids.push(page[i]);
      }
      if (hasMore) break;
    }
    const stored = ids.length ? await this.messageStore.getMany(ids.map((id) => `${chatId}|${id}`)) : [];
    const messages = stored.filter((m): m is WAMessage => !!m);
    return { messages, ...(hasMore && { nextBefore: ids[ids.length - 1] }) };
  }

  async clear(): Promise<void> {
    this.records.clear();
    this.newestPages.clear();
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
        if (!this.records.has(chat.id)) this.records.set(chat.id, chat);
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
