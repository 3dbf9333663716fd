/**
 * sessions/group-cache: a session's group metadata for sends. Baileys asks for it on every group send; fetching it
 * each time meets WhatsApp's rate limits (429), so it is cached, kept current by group events, fetched once on a miss.
 */
import type { Baileys } from '../whatsapp/baileys';

type WASocket = ReturnType<Baileys['makeWASocket']>;
type GroupMetadata = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).GroupMetadata;
type BaileysEventMap = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BaileysEventMap;

export class GroupCache {
  private readonly groups = new Map<string, GroupMetadata>();

  async get(jid: string, sock: WASocket | undefined): Promise<GroupMetadata | undefined> {
    const cached = this.groups.get(jid);
    if (cached || !sock) return cached;
    const fetched = await sock.groupMetadata(jid);
    this.groups.set(jid, fetched);
    return fetched;
  }

  apply(events: Partial<BaileysEventMap>): void {
    for (const group of events['groups.upsert'] ?? []) this.groups.set(group.id, group);
    for (const update of events['groups.update'] ?? []) {
      const cached = update.id ? this.groups.get(update.id) : undefined;
      if (cached) this.groups.set(cached.id, { ...cached, ...update } as GroupMetadata);
    }
    // membership changed: drop the cache entry so the next send fetches fresh metadata once
    const participants = events['group-participants.update'];
    if (participants) this.groups.delete(participants.id);
  }
}
