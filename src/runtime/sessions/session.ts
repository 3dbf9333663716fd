/**
 * sessions/session: one linked number: its Baileys socket (never more than one at a time), its state machine,
 * QR and pairing-code login, the reconnect policy, and the translation of its events onto the bus. (Longer than
 * most files: the socket's lifecycle and every transition of the state machine are kept in one place on purpose;
 * its parts live beside it: types, inbound journal, group cache, policy.)
 *
 * States: stopped → starting → qr | pairing_code → connected → reconnecting → connected; terminal: logged_out,
 * conflict, failed. Every change records a reason and emits `session.status`.
 */
import NodeCache from '@cacheable/node-cache';
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { WAMessage } from '../events/normalize';
import { ApiError } from '../errors';
import { EventTranslator } from '../events/translate';
import type { ChatStore } from '../chats/store';
import type { MessageStore } from '../chats/messages';
import type { Journal } from '../store/journal';
import { keyvAuthState, type KeyvAuthState } from '../whatsapp/auth-state';
import { handleRegistrationRefresh, requestPairingCode, withAdvSecret } from '../whatsapp/pairing';
import type { Baileys } from '../whatsapp/baileys';
import { escapeEndedTransactions, type TransactionalKeys } from '../whatsapp/key-transactions';
import type { WhatsAppTarget } from '../whatsapp/target';
import type { WAVersion } from '../whatsapp/version';
import { decideOnClose, type ReconnectPolicy } from './policy';
import { GroupCache } from './group-cache';
import { journalInbound, replayJournal, settleJournal, translateInOrder, watchArrivals } from './inbound';
import { ArrivalOrder } from './arrival-order';
import { DEFAULT_SESSION_SETTINGS, TERMINAL, type LastStatus, type SessionMe, type SessionReason, type SessionSettings, type SessionStatus, type SessionView, type StoredSession, type WhatsAppLimitSignal } from './types';
import { detached } from '../request-context';

type WASocket = ReturnType<Baileys['makeWASocket']>;

/** WAMessageStatus.ERROR: a send WhatsApp refused with an error ack. */
const ERROR_STATUS = 0;
type BaileysEventMap = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BaileysEventMap;
type ConnectionState = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).ConnectionState;

/** How long a shutdown waits for WhatsApp to confirm the socket's close. */
const CLOSE_WAIT_MS = 2000;

export interface SessionDeps {
  b: Baileys;
  bus: EventBus;
  logger: Logger;
  target: WhatsAppTarget;
  policy: ReconnectPolicy;
  /** [Linked Devices label, browser, version]. */
  browser: [string, string, string];
  /** The `companion_platform_display` sent with a pairing-code request (WhatsApp accepts standard values only). */
  pairingPlatformDisplay: string;
  /** The WhatsApp Web version announced at login. */
  waVersion: WAVersion;
  authKv: Keyv;
  messages: MessageStore;
  chats: ChatStore;
  /** Decrypted inbound messages, written before WhatsApp is told they arrived. */
  journal: Journal;
  /** Persists the session's desired state, last known identity and settings. */
  /** Cluster mode: takes the session's lease before a start opens a socket (throws when another runtime has it). */
  claim?(): Promise<void>;
  persist(update: { desired?: 'running' | 'stopped'; me?: SessionMe | null; settings?: SessionSettings; linkedTo?: WhatsAppTarget['kind'] | null; last?: LastStatus | null }): Promise<void>;
  /** Called with every new QR string (the CLI prints it to a terminal). */
  onQr?(session: string, qr: string): void;
  onWhatsAppLimit?(session: string, signal: WhatsAppLimitSignal): void;
  /** Sends an automatic text (the call-rejection reply) through the runtime's one send path: counted and paced. */
  sendText?(session: string, to: string, text: string): Promise<void>;
}

export class Session {
  status: SessionStatus = 'stopped';
  reason?: SessionReason;
  qr?: string;
  me?: SessionMe;
  updatedAt = new Date().toISOString();
  undecryptableMessages = 0;
  private sock?: WASocket;
  private auth?: KeyvAuthState;
  private generation = 0;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private pairingPhone?: string;
  private readonly retryCounter = new NodeCache({ stdTTL: 3600, useClones: false });
  private readonly groupCache = new GroupCache();
  private readonly waiters = new Set<() => void>();
  /** session.status events are published in the order the changes happened. */
  private statusEvents: Promise<unknown> = Promise.resolve();
  /** Event batches being handled; a graceful shutdown waits for them. */
  private readonly handling = new Set<Promise<void>>();

  settings: SessionSettings;
  private linkedTo?: WhatsAppTarget['kind'];

  constructor(
    readonly id: string,
    readonly createdAt: string,
    private readonly deps: SessionDeps,
    stored: StoredSession = {},
  ) {
    this.me = stored.me;
    this.settings = stored.settings ?? DEFAULT_SESSION_SETTINGS;
    this.linkedTo = stored.linkedTo;
    if (stored.last) {
      this.status = stored.last.status;
      this.reason = stored.last.reason;
    }
  }

  /**
   * Credentials linked to the sandbox are never offered to real WhatsApp, nor real ones to a simulator (either
   * would answer 401 and the credentials would be wiped): the session fails with the reason, untouched.
   */
  private assertTarget(): void {
    const target = this.deps.target.kind;
    if (!this.linkedTo || this.linkedTo === target) return;
    const linked = this.linkedTo === 'sandbox' ? 'the sandbox (simulated WhatsApp)' : 'real WhatsApp';
    const here = target === 'sandbox' ? 'the sandbox' : 'real WhatsApp';
    const message = `Session "${this.id}" is linked to ${linked}, and this runtime connects to ${here}: its credentials were left untouched. Start it on a runtime that connects to ${linked}, or delete the session and link it again`;
    this.setStatus('failed', { message });
    throw new ApiError(409, 'session_linked_elsewhere', message);
  }

  async updateSettings(update: Partial<SessionSettings>): Promise<void> {
    this.settings = { ...this.settings, ...update };
    if (!this.settings.rejectCallsMessage) delete this.settings.rejectCallsMessage;
    await this.deps.persist({ settings: this.settings });
  }

  view(): SessionView {
    return {
      id: this.id,
      status: this.status,
      settings: this.settings,
      ...(this.reason && { reason: this.reason }),
      ...(this.me && { me: this.me }),
      hasQr: !!this.qr,
      undecryptableMessages: this.undecryptableMessages,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
    };
  }

  get chats(): ChatStore {
    return this.deps.chats;
  }

  get socket(): WASocket | undefined {
    return this.status === 'connected' ? this.sock : undefined;
  }

  get isRunning(): boolean {
    return !!this.sock || !!this.reconnectTimer;
  }

  async start(): Promise<void> {
    if (this.isRunning) return;
    this.assertTarget();
    await this.deps.claim?.();
    this.attempt = 0;
    await this.deps.persist({ desired: 'running', last: null });
    await this.open('starting', { message: 'started' });
  }

  async stop(reason: SessionReason = { message: 'stopped by request' }): Promise<void> {
    await this.deps.persist({ desired: 'stopped', last: { status: 'stopped', reason } });
    await this.closeSocket();
    this.setStatus('stopped', reason);
  }

  async restart(): Promise<void> {
    this.assertTarget();
    await this.deps.claim?.();
    await this.closeSocket();
    this.attempt = 0;
    await this.deps.persist({ desired: 'running', last: null });
    await this.open('starting', { message: 'restarted by request' });
  }

  /** Unlinks the device on WhatsApp, then wipes credentials and keys. */
  async logout(): Promise<void> {
    const sock = this.sock;
    if (sock && this.status === 'connected') {
      await sock.logout().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'logout request failed'));
    }
    await this.closeSocket();
    await this.wipe({ code: 401, message: 'logged out by request' });
  }

  /** Stops the session and deletes everything stored for it. */
  async destroy(): Promise<void> {
    await this.closeSocket();
    await this.deps.authKv.clear();
    await this.deps.messages.clear();
    await this.deps.chats.clear();
    await this.deps.journal.clear(this.id);
    this.retryCounter.flushAll();
    this.status = 'stopped';
  }

  /**
   * Ends the socket without changing the desired state (runtime shutdown): first hands Baileys' buffered events
   * (an offline backlog) to the handler and waits, up to `drainMs`, for the batches in flight to be written.
   */
  async shutdown(drainMs = 5000): Promise<void> {
    if (this.sock) {
      this.sock.ev.flush();
      await new Promise((resolve) => setImmediate(resolve));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
      await Promise.race([Promise.all(this.handling), timeout]);
      clearTimeout(timer);
    }
    const ws = this.sock?.ws;
    await this.closeSocket();
    // the close handshake done: WhatsApp has seen this socket go before another runtime opens the next (no 440)
    if (ws && !ws.isClosed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_WAIT_MS);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until the session shows a QR code or gets connected, for at most `timeoutMs`. */
  async waitForQr(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.qr && (this.status === 'starting' || this.status === 'reconnecting') && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Asks WhatsApp for an 8-character code to type on the phone of `phoneDigits`. Asking again (the code expired, or
   * another number) starts over on fresh credentials: Baileys already stored the first number in them.
   */
  async requestPairingCode(phoneDigits: string): Promise<string> {
    if (this.status === 'connected') throw new Error('the session is already linked');
    if (this.auth?.state.creds.me?.id) {
      await this.closeSocket();
      await this.forgetCredentials();
      await this.open('starting', { message: 'new pairing code requested' });
    }
    if (!this.sock) await this.start();
    await this.waitForQr(20_000);
    const sock = this.sock;
    if (!sock) throw new Error(`the session is ${this.status}`);
    await sock.waitForSocketOpen();
    this.pairingPhone = phoneDigits;
    let code: string;
    try {
      code = await requestPairingCode(this.deps.b, sock, phoneDigits, this.deps.pairingPlatformDisplay);
    } catch (error) {
      this.pairingPhone = undefined;
      throw error;
    }
    this.qr = undefined;
    this.setStatus('pairing_code', { message: `pairing code requested for +${phoneDigits}` });
    return code;
  }

  /**
   * A stored message of a chat named by JID or LID (a person's messages are stored under their number once known),
   * revived into a protobuf object (JSON keeps its bytes fields as base64 strings).
   */
  findMessage(remoteJid: string, id: string): Promise<WAMessage | undefined> {
    const mapping = this.sock?.signalRepository.lidMapping;
    return this.deps.messages.find(remoteJid, id, (lid) => mapping?.getPNForLID(lid) ?? Promise.resolve(null));
  }

  /** A page of a chat's stored messages, newest first, revived like `findMessage`. */
  async chatMessages(chatId: string, options: { limit: number; before?: string }): Promise<{ messages: WAMessage[]; nextBefore?: string }> {
    const page = await this.deps.chats.messages(chatId, options);
    return { ...page, messages: page.messages.map((stored) => this.deps.messages.revive(stored)) };
  }

  /**
   * The decrypted media of a stored message as a stream. When WhatsApp's copy expired (404/410), Baileys asks the
   * sender's phone to upload it again and retries once.
   */
  async downloadMedia(message: WAMessage): Promise<NodeJS.ReadableStream> {
    const sock = this.socket;
    if (!sock) throw new Error(`the session is ${this.status}`);
    const { b, target, logger } = this.deps;
    const dispatcher = target.downloadDispatcher;
    return b.downloadMediaMessage(message, 'stream', { ...(dispatcher && { options: { dispatcher } as never }) }, { logger: logger as never, reuploadRequest: (m) => sock.updateMediaMessage(m) });
  }

  /** Group metadata for sends: cached, refreshed by group events, fetched once on a miss (avoids 429s). */
  cachedGroupMetadata(jid: string) {
    return this.groupCache.get(jid, this.sock);
  }

  private async open(status: 'starting' | 'reconnecting', reason: SessionReason): Promise<void> {
    const deps = this.deps;
    const { b } = deps;
    this.reconnectTimer = undefined;
    const auth = (this.auth ??= await keyvAuthState(b, deps.authKv));
    const generation = ++this.generation;
    this.qr = undefined;
    this.setStatus(status, reason);
    const logger = deps.logger.child({ session: this.id });
    // the socket outlives the request that opened it: its events are caused by WhatsApp, not by that request
    const sock = detached(() => b.makeWASocket({
      auth: { creds: auth.state.creds, keys: b.makeCacheableSignalKeyStore(auth.state.keys as never, logger as never) },
      logger: logger as never,
      browser: deps.browser,
      version: deps.waVersion,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      ...(deps.target.url && { waWebSocketUrl: deps.target.url }),
      ...(deps.target.uploadAgent && { fetchAgent: deps.target.uploadAgent }),
      msgRetryCounterCache: this.retryCounter as never,
      getMessage: async (key) => (key.remoteJid && key.id ? (await this.findMessage(key.remoteJid, key.id))?.message ?? undefined : undefined),
      cachedGroupMetadata: (jid) => this.cachedGroupMetadata(jid),
    }));
    this.sock = sock;
    detached(() => escapeEndedTransactions(sock.authState.keys as unknown as TransactionalKeys));
    const translator = new EventTranslator(
      { b, bus: deps.bus, session: this.id, logger, saveMessage: (m, chatId) => deps.messages.save(m, chatId), loadMessage: (jid, id) => this.findMessage(jid, id),
        recordChat: (data) => deps.chats.record(data),
        updateChat: async (chatId, update) => {
          await deps.chats.update(chatId, update);
        },
        onUndecryptable: () => this.undecryptableMessages++,
        onCallOffer: (call) => this.onCallOffer(sock, call) },
      sock,
    );
    handleRegistrationRefresh(sock, { currentQr: () => this.qr, pairingByCode: () => !!this.pairingPhone, logger });
    journalInbound(b, sock, deps.journal, this.id);
    const order = new ArrivalOrder();
    watchArrivals(sock, order);
    const replayed = replayJournal(b, deps.journal, this.id, translator, logger);
    sock.ev.process((events) => {
      const handled = this.handleEvents(generation, { translator, order }, events, logger, replayed);
      this.handling.add(handled);
      return handled.finally(() => this.handling.delete(handled));
    });
  }

  private async handleEvents(generation: number, { translator, order }: { translator: EventTranslator; order: ArrivalOrder }, events: Partial<BaileysEventMap>, logger: Logger, replayed: Promise<void>): Promise<void> {
    if (generation !== this.generation) return;
    if (events['creds.update']) await this.auth?.saveCreds();
    if (events['connection.update']) await this.onConnectionUpdate(generation, events['connection.update']);
    this.reportLimits(events);
    this.groupCache.apply(events);
    await replayed;
    try {
      await translateInOrder(translator, order, events);
      settleJournal(this.deps.journal, this.id, events);
    } catch (error) {
      logger.error({ err: error }, 'failed to translate events');
    }
  }

  private async onConnectionUpdate(generation: number, update: Partial<ConnectionState>): Promise<void> {
    const { b } = this.deps;
    if (update.qr && this.status !== 'pairing_code') {
      // rc14 renders every ref with the secret it read at pair-device; WhatsApp may have retired it since
      const qr = withAdvSecret(update.qr, this.auth!.state.creds.advSecretKey);
      this.qr = qr;
      this.setStatus('qr', { message: 'waiting for the QR code to be scanned' });
      await this.deps.bus.publish('session.qr', this.id, { qr });
      this.deps.onQr?.(this.id, qr);
    }
    if (update.connection === 'open') {
      const creds = this.auth!.state.creds;
      const id = b.jidNormalizedUser(creds.me!.id);
      this.me = { id, lid: creds.me?.lid ? b.jidNormalizedUser(creds.me.lid) : undefined, phoneNumber: b.jidDecode(id)!.user, name: creds.me?.name ?? undefined };
      this.attempt = 0;
      this.qr = undefined;
      this.pairingPhone = undefined;
      this.linkedTo = this.deps.target.kind;
      await this.deps.persist({ desired: 'running', me: this.me, linkedTo: this.linkedTo });
      this.setStatus('connected', { message: 'connected' });
    }
    if (update.connection === 'close') {
      const error = update.lastDisconnect?.error as (Error & { output?: { statusCode?: number } }) | undefined;
      const code = error?.output?.statusCode;
      await this.onClose(generation, code, error?.message);
    }
  }

  private async onClose(generation: number, code: number | undefined, message: string | undefined): Promise<void> {
    if (generation !== this.generation) return;
    this.sock = undefined;
    const reason = { ...(code !== undefined && { code }), message: message ?? 'connection closed' };
    const decision = decideOnClose(code, { registered: !!this.auth?.state.creds.me?.id && !this.pairingPhone, attempt: this.attempt, intentional: false }, this.deps.policy);
    this.deps.logger.info({ session: this.id, code, decision }, 'socket closed');
    switch (decision.action) {
      case 'reconnect':
        this.attempt++;
        if (decision.delayMs === 0) await this.open(decision.status, reason);
        else {
          this.setStatus(decision.status, { ...reason, message: `${reason.message}; reconnecting in ${decision.delayMs} ms` });
          this.reconnectTimer = setTimeout(() => void this.open(decision.status, { ...reason, message: `${reason.message}; reconnect attempt ${this.attempt}` }), decision.delayMs);
        }
        return;
      case 'logged_out':
        await this.wipe(reason);
        return;
      case 'terminal':
        await this.deps.persist({ desired: 'stopped', last: { status: decision.status, reason } });
        this.setStatus(decision.status, reason);
        return;
      case 'stop': {
        const stopped = decision.reason === 'qr_expired' ? { code, message: 'the QR code expired before it was scanned; start the session again' } : reason;
        await this.deps.persist({ desired: 'stopped', last: { status: 'stopped', reason: stopped } });
        this.setStatus('stopped', stopped);
        return;
      }
    }
  }

  private async wipe(reason: SessionReason): Promise<void> {
    await this.forgetCredentials();
    this.me = undefined;
    this.qr = undefined;
    this.linkedTo = undefined;
    await this.deps.persist({ desired: 'stopped', me: null, linkedTo: null, last: { status: 'logged_out', reason } });
    this.setStatus('logged_out', reason);
  }

  /** Deletes creds and Signal keys; the next socket starts unlinked. */
  private async forgetCredentials(): Promise<void> {
    await this.deps.authKv.clear();
    this.auth = undefined;
    this.pairingPhone = undefined;
    this.retryCounter.flushAll();
  }

  private async closeSocket(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const sock = this.sock;
    this.sock = undefined;
    this.generation++;
    this.qr = undefined;
    if (sock) {
      sock.ev.removeAllListeners('connection.update');
      sock.end(undefined);
    }
  }

  private async onCallOffer(sock: WASocket, call: { id: string; from: string; chatId: string }): Promise<boolean> {
    if (!this.settings.rejectCalls) return false;
    try {
      await sock.rejectCall(call.id, call.from);
      if (this.settings.rejectCallsMessage) await this.deps.sendText?.(this.id, this.deps.b.jidNormalizedUser(call.chatId || call.from), this.settings.rejectCallsMessage);
      return true;
    } catch (error) {
      this.deps.logger.warn({ err: error, session: this.id, callId: call.id }, 'automatic call rejection failed');
      return false;
    }
  }

  private reportLimits(events: Partial<BaileysEventMap>): void {
    const report = this.deps.onWhatsAppLimit;
    const lock = events['connection.update']?.reachoutTimeLock;
    if (report && lock) report(this.id, { kind: 'reachout_timelock', active: !!lock.isActive, until: lock.timeEnforcementEnds });
    // WhatsApp refused a message of ours as restricted (an error ack, merged into the upsert while it was buffered)
    const refusals = [...(events['messages.update'] ?? []).map(({ key, update }) => ({ key, ...update })), ...(events['messages.upsert']?.messages ?? [])];
    if (report && refusals.some((m) => m.key.fromMe && m.status === ERROR_STATUS && m.messageStubParameters?.[0] === '463')) report(this.id, { kind: 'restricted' });
    const cap = events['message-capping.update'];
    if (report && cap) {
      report(this.id, { kind: 'new_chat_cap', used: cap.used_quota, total: cap.total_quota, ...(cap.cycle_end_timestamp && { cycleEnd: Number(cap.cycle_end_timestamp) * 1000 }) });
    }
  }

  private setStatus(status: SessionStatus, reason: SessionReason): void {
    const changed = status !== this.status || reason.message !== this.reason?.message;
    this.status = status;
    this.reason = reason;
    this.updatedAt = new Date().toISOString();
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    if (changed) {
      const data = { status, reason, ...(this.me && { me: this.me }) };
      this.statusEvents = this.statusEvents.then(() => this.deps.bus.publish('session.status', this.id, data)).catch((error: unknown) => this.deps.logger.error({ err: error }, 'failed to publish session.status'));
    }
  }

  isTerminal(): boolean {
    return TERMINAL.includes(this.status);
  }
}
