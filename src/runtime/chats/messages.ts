/**
 * chats/messages: one session's stored messages (for getMessage retries, quotes, polls, media and chat history),
 * under `<chat>|<id>` where a person's chat is their phone-number JID once known. Stored as the protobuf's JSON
 * (bytes as base64) and revived into protobuf objects.
 */
import type Keyv from 'keyv';
import type { WAMessage } from '../events/normalize';
import type { Baileys } from '../whatsapp/baileys';

export class MessageStore {
  constructor(
    private readonly b: Baileys,
    readonly kv: Keyv<WAMessage>,
    private readonly retentionMs: number,
  ) {}

  async save(message: WAMessage, chatId: string): Promise<void> {
    if (!message.key.id) return;
    await this.kv.set(messageKey(chatId, message.key.id), message, this.retentionMs);
  }

  /** A message of a chat named by JID or LID; a LID is looked up under the number `pnForLid` knows for it. */
  async find(remoteJid: string, id: string, pnForLid: (lid: string) => Promise<string | null>): Promise<WAMessage | undefined> {
    const { b } = this;
    const jid = b.jidNormalizedUser(remoteJid);
    const found = await this.kv.get(messageKey(jid, id));
    if (found) return this.revive(found);
    const pn = b.isLidUser(jid) ? await pnForLid(jid).catch(() => null) : null;
    const byNumber = pn ? await this.kv.get(messageKey(b.jidNormalizedUser(pn), id)) : undefined;
    return byNumber ? this.revive(byNumber) : undefined;
  }

  revive(stored: WAMessage): WAMessage {
    return this.b.proto.WebMessageInfo.fromObject(stored) as WAMessage;
  }

  async clear(): Promise<void> {
    await this.kv.clear();
  }
}

function messageKey(chatId: string, id: string): string {
  return `${chatId}|${id}`;
}
