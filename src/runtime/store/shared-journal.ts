/**
 * store/shared-journal: the inbound journal of cluster mode, on Redis, so that the runtime that takes a session over
 * replays what its previous owner journaled (a local file would die with that runtime's machine). One hash per
 * session, entry by WhatsApp's message id; each write is awaited inside the decryption's key transaction (so still
 * before the receipt) and fenced by the session's lease like the auth state. Removals are batched as in the local
 * journal: one a crash loses only replays an entry the outbox drops by its id.
 */
import { createClient } from '@redis/client';
import { fencedEval, type WriteGuard } from './fenced';
import type { Journal, JournalEntry } from './journal';

const REMOVE_EVERY_MS = 100;
const journalKey = (session: string) => `wa:journal:${session}`;
const ADD = `return redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])`;

type Stored = { seq: number; attrs: Record<string, string>; message: string; meId: string; meLid?: string };

export class SharedJournal implements Journal {
  readonly committedWithKeys = false;
  private readonly client: ReturnType<typeof createClient>;
  private readonly connected: Promise<unknown>;
  private removals = new Map<string, string[]>();
  private removalTimer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(redisUrl: string, private readonly guardOf: (session: string) => WriteGuard, onError: (error: Error) => void) {
    this.client = createClient({ url: redisUrl });
    this.client.on('error', onError);
    this.connected = this.client.connect();
  }

  async add(entry: JournalEntry): Promise<void> {
    await this.connected;
    // time first, then a counter: the order entries were written in, also across owners of the session
    const stored: Stored = { seq: Date.now() * 1000 + (this.seq++ % 1000), attrs: entry.attrs, message: Buffer.from(entry.message).toString('base64'), meId: entry.meId, ...(entry.meLid && { meLid: entry.meLid }) };
    await fencedEval(this.client, journalKey(entry.session), this.guardOf(entry.session), ADD, [journalKey(entry.session)], [entry.id, JSON.stringify(stored)]);
  }

  remove(session: string, ids: string[]): void {
    const pending = this.removals.get(session);
    if (pending) pending.push(...ids);
    else this.removals.set(session, [...ids]);
    this.removalTimer ??= setTimeout(() => void this.commitRemovals().catch(() => undefined), REMOVE_EVERY_MS).unref();
  }

  private async commitRemovals(): Promise<void> {
    clearTimeout(this.removalTimer);
    this.removalTimer = undefined;
    const removals = this.removals;
    this.removals = new Map();
    await this.connected;
    for (const [session, ids] of removals) await this.client.hDel(journalKey(session), ids);
  }

  async pending(session: string): Promise<JournalEntry[]> {
    await this.commitRemovals();
    const entries = Object.entries(await this.client.hGetAll(journalKey(session))).map(([id, text]) => ({ id, stored: JSON.parse(text) as Stored }));
    return entries
      .sort((a, b) => a.stored.seq - b.stored.seq)
      .map(({ id, stored }) => ({ session, id, attrs: stored.attrs, message: Buffer.from(stored.message, 'base64'), meId: stored.meId, ...(stored.meLid && { meLid: stored.meLid }) }));
  }

  async clear(session: string): Promise<void> {
    await this.connected;
    this.removals.delete(session);
    await this.client.del(journalKey(session));
  }

  async close(): Promise<void> {
    await this.commitRemovals().catch(() => undefined);
    if (this.client.isOpen) await this.client.close();
  }
}
