/**
 * sessions/: the sessions of the runtime. The manager keeps the registry (persisted), creates Session objects
 * with their stores, restores the sessions that were running at the last shutdown (staggered), and stops them all
 * on shutdown.
 */
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import { SESSION_ID_PATTERN } from '../../contract/sessions';
import type { EventBus } from '../events/bus';
import type { WAMessage } from '../events/normalize';
import type { Store } from '../store';
import type { Baileys, WASocket } from '../whatsapp/baileys';
import type { WhatsAppTarget } from '../whatsapp/target';
import type { WAVersion } from '../whatsapp/version';
import { ApiError } from '../errors';
import type { ReconnectPolicy } from './policy';
import { ChatStore, type ChatRecord } from '../chats/store';
import { Session } from './session';
import type { SessionOwnership, StoredSession, WhatsAppLimitSignal } from './types';
import { MessageStore } from '../chats/messages';


interface SessionRecord extends StoredSession {
  id: string;
  createdAt: string;
  desired: 'running' | 'stopped';
}

export interface SessionManagerDeps {
  b: Baileys;
  store: Store;
  bus: EventBus;
  logger: Logger;
  target: WhatsAppTarget;
  policy: ReconnectPolicy;
  browserName: string;
  pairingPlatformDisplay: string;
  waVersion: WAVersion;
  messageRetentionMs: number;
  restoreStaggerMs: number;
  onQr?(session: string, qr: string): void;
  /** A session and its data were deleted (its queued sends and campaigns go with it). */
  onDeleted?(session: string): Promise<void>;
  /** WhatsApp reported a limit on the account (reach-out time lock, new-chat message cap). */
  onWhatsAppLimit?(session: string, signal: WhatsAppLimitSignal): void;
  /** The one send path, for automatic replies. */
  sendText?(session: string, to: string, text: string): Promise<void>;
  /** Cluster mode: sessions open only where their lease is; restore leaves starting them to the cluster. */
  ownership?: SessionOwnership;
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly registry: Keyv<SessionRecord>;

  constructor(private readonly deps: SessionManagerDeps) {
    this.registry = deps.store.namespace<SessionRecord>('sessions', { plainJson: true });
  }

  /** Loads the registry and restarts the sessions that were running: `restoreStaggerMs` apart, or all at once at 0. */
  async restore(): Promise<void> {
    const records: SessionRecord[] = [];
    for await (const [, record] of this.registry.iterator!(this.registry.namespace)) records.push(record as SessionRecord);
    records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const record of records) this.sessions.set(record.id, this.build(record));
    if (this.deps.ownership) return;
    const toStart = records.filter((r) => r.desired === 'running');
    const start = (record: SessionRecord) => this.sessions.get(record.id)?.start().catch((error: unknown) => this.deps.logger.error({ err: error, session: record.id }, 'restore failed'));
    // no stagger asked for: all at once (one after the other, each session's store reads and socket set-up wait for the previous one's)
    if (this.deps.restoreStaggerMs === 0) {
      await Promise.all(toStart.map(start));
      return;
    }
    for (const [index, record] of toStart.entries()) {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, this.deps.restoreStaggerMs));
      await start(record);
    }
  }

  /**
   * Cluster mode: catches up with the registry other runtimes write too (sessions created or deleted there) and
   * answers the ids of the sessions that should be running.
   */
  async sync(): Promise<string[]> {
    const running: string[] = [];
    const seen = new Set<string>();
    for await (const [, value] of this.registry.iterator!(this.registry.namespace)) {
      const record = value as SessionRecord;
      seen.add(record.id);
      if (!this.sessions.has(record.id)) this.sessions.set(record.id, this.build(record));
      if (record.desired === 'running') running.push(record.id);
    }
    for (const [id, session] of this.sessions) {
      if (!seen.has(id) && !session.isRunning) this.sessions.delete(id);
    }
    return running.sort();
  }

  /** Cluster mode: the session rebuilt from its record as another runtime may have left it (not while it runs). */
  async reload(id: string): Promise<Session | undefined> {
    const current = this.sessions.get(id);
    if (current?.isRunning) return current;
    const record = await this.registry.get(id);
    if (!record) return undefined;
    const session = this.build(record);
    this.sessions.set(id, session);
    return session;
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  find(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  get(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new ApiError(404, 'session_not_found', `Session "${id}" does not exist`);
    return session;
  }

  /** The session and its socket, or a 409 that says why it is not connected (and what to do). */
  connected(id: string): { session: Session; sock: WASocket } {
    const session = this.get(id);
    const sock = session.socket;
    if (!sock) {
      const hint = session.status === 'qr' ? ': scan its QR code first' : session.status === 'stopped' ? ': start it first' : '';
      throw new ApiError(409, 'session_not_connected', `The session "${id}" is not connected (status: ${session.status})${hint}`);
    }
    return { session, sock };
  }

  async create(id: string): Promise<{ session: Session; created: boolean }> {
    if (!SESSION_ID_PATTERN.test(id)) {
      throw new ApiError(400, 'invalid_session_id', 'Session id must be 1-64 letters, digits, "-" or "_"', { field: 'id' });
    }
    const existing = this.sessions.get(id);
    if (existing) return { session: existing, created: false };
    const record: SessionRecord = { id, createdAt: new Date().toISOString(), desired: 'stopped' };
    await this.registry.set(id, record);
    const session = this.build(record);
    this.sessions.set(id, session);
    return { session, created: true };
  }

  async delete(id: string): Promise<void> {
    const session = this.get(id);
    await session.destroy();
    this.sessions.delete(id);
    await this.registry.delete(id);
    await this.deps.onDeleted?.(id);
  }

  /** Ends every socket, keeping each session's desired state for the next boot. */
  async shutdown(): Promise<void> {
    await Promise.all(this.list().map((s) => s.shutdown()));
  }

  private build(record: SessionRecord): Session {
    const { store, ownership } = this.deps;
    // messages are protobuf objects whose toJSON already turns bytes into base64 (revived with fromObject)
    const messages = new MessageStore(this.deps.b, store.namespace<WAMessage>(`messages:${record.id}`, { plainJson: true }), this.deps.messageRetentionMs);
    return new Session(record.id, record.createdAt, {
      b: this.deps.b,
      bus: this.deps.bus,
      logger: this.deps.logger,
      target: this.deps.target,
      policy: this.deps.policy,
      // the first field is what the phone shows under Linked Devices; the second makes it a Chrome web client
      browser: [this.deps.browserName, 'Chrome', '24.04'],
      pairingPlatformDisplay: this.deps.pairingPlatformDisplay,
      waVersion: this.deps.waVersion,
      authKv: store.namespace(`auth:${record.id}`, { ...(ownership && { guard: ownership.guard(record.id) }) }),
      messages,
      journal: store.journal,
      chats: new ChatStore(store.namespace<ChatRecord>(`chats:${record.id}`, { plainJson: true }), messages.kv, this.deps.messageRetentionMs),
      onQr: this.deps.onQr,
      onWhatsAppLimit: this.deps.onWhatsAppLimit,
      sendText: this.deps.sendText,
      ...(ownership && { claim: () => ownership.claim(record.id) }),
      persist: async (update) => {
        const current = (await this.registry.get(record.id)) ?? record;
        const next: SessionRecord = { ...current, ...(update.desired && { desired: update.desired }), ...(update.settings && { settings: update.settings }) };
        for (const field of ['me', 'linkedTo', 'last'] as const) {
          if (update[field] === null) delete next[field];
          else if (update[field]) Object.assign(next, { [field]: update[field] });
        }
        await this.registry.set(record.id, next);
      },
    }, record);
  }
}
