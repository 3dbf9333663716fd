/**
 * sandbox/simulator: a loopback WhatsApp server that unmodified Baileys links to, logs in to, and exchanges
 * Signal-encrypted messages with. This file owns the WebSocket endpoint, the simulated users, the connection
 * lifecycle (login, forced disconnects) and the table from a client's stanza (and an IQ's `xmlns`) to the part that
 * answers it: `pairing`, `keys`, `routing`, `contacts` (what simulated contacts do), `limits`, `groups`,
 * `accounts`. Its public methods are what tests, the runtime's sandbox mode and the dashboard drive (most of them
 * one-line delegations to those parts, which is why the file is near 400 lines).
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import pino from 'pino';
import { loadBaileys, type Baileys } from '../whatsapp/baileys';
import { guardConsole } from '../whatsapp/console-guard';
import { Accounts } from './accounts';
import { Connection, type ClientPayload } from './connection';
import { ContactPhones } from './contacts';
import { GroupDirectory } from './groups';
import { KeyServer } from './keys';
import { Limits } from './limits';
import { MediaHost, type MediaUpload } from './media';
import { Calls } from './calls';
import { makeCertChain, type KeyPair } from './noise';
import { Pairing } from './pairing';
import type { BinaryNode, ProtoMessage } from './phone';
import { Router } from './routing';
import { SimUser, type LinkedDevice, type ReceivedMessage, type UserState } from './users';
import { childOf, firstChild, iqError, nodeChildren, normalisePhone, now, REAL_WHATSAPP, S_WHATSAPP_NET, type DisconnectKind, type RealServerBehaviours, type ScanResult, type SendOptions, type SimHost } from './wire';

export { REAL_WHATSAPP } from './wire';
export type { DisconnectKind, MediaKind, RealServerBehaviours, ScanResult, SendOptions } from './wire';

export interface SimulatorOptions {
  host?: string;
  port?: number;
  /** How many QR codes a pairing attempt offers before the client gives up (each `ref` is one QR). */
  qrRefs?: number;
  /** Where the real service differs from what Baileys rc14 expects; every behaviour is on unless turned off here. */
  behaviours?: Partial<RealServerBehaviours>;
  /** Users, phones and linked devices kept from an earlier run (`state()`), so linked clients stay linked. */
  state?: SimulatorState;
  /** Called after anything `state()` covers may have changed (a caller saves it, debounced). */
  onChange?(): void;
}

export interface SimulatorState {
  version: 1;
  nextLid: number;
  users: UserState[];
}

export class Simulator implements SimHost {
  readonly rootKey: KeyPair;
  private readonly serverStatic: KeyPair;
  private readonly certChain: Uint8Array;
  private readonly wss: WebSocketServer;
  private readonly usersByPn = new Map<string, SimUser>();
  private readonly usersByLid = new Map<string, SimUser>();
  readonly behaviour: RealServerBehaviours;
  /** Logins that replaced a device's open connection (the 440 "conflict: replaced" a second socket causes). */
  replacedConnections = 0;
  readonly groups: GroupDirectory;
  readonly accounts: Accounts;
  private readonly pairing: Pairing;
  private readonly keys: KeyServer;
  private readonly router: Router;
  private readonly contacts: ContactPhones;
  private readonly limits: Limits;
  private readonly calls: Calls;
  private nextLid = 100000000000001;
  private url_ = '';
  private releaseConsole?: () => void;

  private constructor(
    readonly b: Baileys,
    private readonly options: SimulatorOptions,
    /** The HTTPS host media is uploaded to and downloaded from. */
    readonly media: MediaHost,
  ) {
    this.behaviour = { ...REAL_WHATSAPP, ...options.behaviours };
    if (options.state) {
      this.nextLid = options.state.nextLid;
      for (const state of options.state.users) this.addUser(SimUser.restore(b, state));
    }
    this.rootKey = b.Curve.generateKeyPair();
    this.serverStatic = b.Curve.generateKeyPair();
    this.certChain = makeCertChain(b, this.rootKey, this.serverStatic);
    this.groups = new GroupDirectory({
      findUser: (jid) => this.findUser(jid),
      notify: (users, node) => {
        for (const user of users) for (const device of user.devices.values()) this.router.deliver(user, device.id, node);
      },
    });
    this.accounts = new Accounts(b, { findUser: (jid) => this.findUser(jid), media });
    this.pairing = new Pairing(this, options.qrRefs ?? 6);
    this.keys = new KeyServer(this);
    this.router = new Router(this, this.keys, this.groups, this.accounts);
    this.contacts = new ContactPhones(this, this.keys, this.router, this.groups);
    this.limits = new Limits(this, this.router);
    this.calls = new Calls(this.router);
    this.wss = new WebSocketServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 0, path: '/ws/chat' });
    this.wss.on('connection', (ws) => {
      new Connection(b, ws, this.serverStatic, this.certChain, {
        onPayload: (conn, payload) => this.onPayload(conn, payload),
        onNode: (conn, node) => this.onNode(conn, node),
        onClose: (conn) => this.onClose(conn),
      });
    });
  }

  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const simulator = new Simulator(await loadBaileys(), options, await MediaHost.start(options.host ?? '127.0.0.1'));
    // the simulated phones run libsignal, which prints session housekeeping straight to the console
    simulator.releaseConsole = guardConsole(pino({ level: 'silent' }));
    await new Promise<void>((resolve, reject) => {
      simulator.wss.once('listening', resolve);
      simulator.wss.once('error', reject);
    });
    const { address, port } = simulator.wss.address() as AddressInfo;
    simulator.url_ = `ws://${address.includes(':') ? `[${address}]` : address}:${port}/ws/chat`;
    return simulator;
  }

  /** The WebSocket URL to give Baileys as `waWebSocketUrl`. */
  get url(): string {
    return this.url_;
  }

  /** The root public key (base64) the client must pin instead of WhatsApp's. */
  get rootPublicKeyBase64(): string {
    return Buffer.from(this.rootKey.public).toString('base64');
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await this.media.stop();
    this.releaseConsole?.();
  }

  // ---- users -------------------------------------------------------------------------------------------------

  /** Creates a simulated user (a contact, or the account a runtime session links to). */
  createUser(input: { phone: string; name?: string; lid?: string }): SimUser {
    const pn = normalisePhone(input.phone);
    if (this.usersByPn.has(pn)) throw new Error(`user ${pn} already exists`);
    const lid = input.lid ?? String(this.nextLid++);
    const user = this.addUser(new SimUser(this.b, pn, lid, input.name ?? `Contact ${pn.slice(-4)}`));
    this.changed();
    return user;
  }

  private addUser(user: SimUser): SimUser {
    this.usersByPn.set(user.pn, user);
    this.usersByLid.set(user.lid, user);
    return user;
  }

  /** What to keep for the next run: users, their phones' Signal state and linked devices (not groups or logs). */
  state(): SimulatorState {
    return { version: 1, nextLid: this.nextLid, users: this.users().map((user) => user.state()) };
  }

  changed(): void {
    this.options.onChange?.();
  }

  user(phoneOrJid: string): SimUser {
    const found = this.findUser(phoneOrJid);
    if (!found) throw new Error(`no simulated user ${phoneOrJid}`);
    return found;
  }

  users(): SimUser[] {
    return [...this.usersByPn.values()];
  }

  findUser(phoneOrJid: string): SimUser | undefined {
    const decoded = phoneOrJid.includes('@') ? this.b.jidDecode(phoneOrJid) : undefined;
    if (decoded?.server === 'lid') return this.usersByLid.get(decoded.user);
    return this.usersByPn.get(normalisePhone(decoded?.user ?? phoneOrJid));
  }

  deviceOf(conn: Connection): LinkedDevice | undefined {
    if (!conn.deviceKey) return undefined;
    const [pn, id] = conn.deviceKey.split(':');
    return this.usersByPn.get(pn)?.devices.get(Number(id));
  }

  userOf(conn: Connection): SimUser | undefined {
    return conn.deviceKey ? this.usersByPn.get(conn.deviceKey.split(':')[0]) : undefined;
  }

  // ---- connection lifecycle ----------------------------------------------------------------------------------

  private onPayload(conn: Connection, payload: ClientPayload): void {
    if (this.pairing.register(conn, payload)) return;
    const user = this.usersByPn.get(String(payload.username ?? ''));
    const device = user?.devices.get(Number(payload.device ?? 0));
    if (!user || !device || !conn.clientStatic || !Buffer.from(device.noiseKey).equals(Buffer.from(conn.clientStatic))) {
      conn.end({ tag: 'failure', attrs: { reason: '401', location: 'sim' } });
      return;
    }
    if (!user.online) {
      conn.drop();
      return;
    }
    if (device.connection) {
      this.replacedConnections++;
      device.connection.end({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] });
    }
    device.connection = conn;
    const app = payload.userAgent?.appVersion;
    device.appVersion = app ? `${app.primary}.${app.secondary}.${app.tertiary}` : undefined;
    conn.deviceKey = `${user.pn}:${device.id}`;
    conn.send({ tag: 'success', attrs: { t: now(), lid: `${user.lid}:${device.id}@lid`, props: '1', creation: now() } });
    this.router.flushOffline(device, conn);
  }

  private onClose(conn: Connection): void {
    this.pairing.forget(conn);
    const device = this.deviceOf(conn);
    if (!device) return;
    if (device.connection === conn) device.connection = undefined;
    this.router.requeue(device, conn);
  }

  /** Forces the kind of disconnect WhatsApp produces on every connected device of `phone`. */
  disconnect(phone: string, kind: DisconnectKind): void {
    const user = this.user(phone);
    for (const device of user.devices.values()) {
      const conn = device.connection;
      if (kind === 'logout') {
        user.devices.delete(device.id);
        this.changed();
      }
      if (!conn) continue;
      if (kind === 'restart') conn.end({ tag: 'stream:error', attrs: { code: '515' } });
      else if (kind === 'logout') conn.end({ tag: 'failure', attrs: { reason: '401', location: 'sim' } });
      else if (kind === 'replaced') conn.end({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] });
      else conn.drop();
    }
  }

  /** Takes a user's linked devices off the network (their sockets drop and reconnects fail) or back on. */
  setOnline(phone: string, online: boolean): void {
    const user = this.user(phone);
    user.online = online;
    if (!online) this.disconnect(phone, 'drop');
  }

  // ---- stanzas from clients ----------------------------------------------------------------------------------

  private async onNode(conn: Connection, node: BinaryNode): Promise<void> {
    try {
      await this.handleNode(conn, node);
    } finally {
      this.changed();
    }
  }

  private async handleNode(conn: Connection, node: BinaryNode): Promise<void> {
    switch (node.tag) {
      case 'iq':
        return this.onIq(conn, node);
      case 'message':
        return this.router.onMessage(conn, node);
      case 'call':
        return this.calls.onCallStanza(conn, node);
      case 'receipt':
        this.router.onAcknowledged(conn, node);
        if (node.attrs.type === 'retry') return this.contacts.onRetryReceipt(conn, node);
        return this.router.onReceiptStanza(conn, node);
      case 'ack':
        if (node.attrs.class === 'message') this.router.onAcknowledged(conn, node);
        return undefined;
      case 'chatstate': {
        const actor = this.userOf(conn);
        if (actor) this.accounts.onChatState(actor, node);
        return undefined;
      }
      default:
        return undefined; // presence needs no answer
    }
  }

  private async onIq(conn: Connection, node: BinaryNode): Promise<void> {
    const child = firstChild(node);
    if (node.attrs.type === 'result' || node.attrs.type === 'error') {
      if (child?.tag === 'pair-device-sign') this.pairing.onPairDeviceSign(conn, child);
      return;
    }
    const result = (content?: BinaryNode[]): BinaryNode => ({
      tag: 'iq',
      attrs: { id: node.attrs.id, type: 'result', from: node.attrs.to ?? S_WHATSAPP_NET },
      ...(content && { content }),
    });
    const xmlns = node.attrs.xmlns;
    if (this.pairing.onLinkCodeIq(conn, node, child, result)) return;
    if (xmlns === 'md' && child?.tag === 'remove-companion-device') {
      const user = this.userOf(conn);
      const device = this.deviceOf(conn);
      conn.send(result());
      if (user && device) user.devices.delete(device.id);
      return;
    }
    if (xmlns === 'encrypt') return conn.send(this.keys.onEncryptIq(conn, node, result));
    if (xmlns === 'w:g2') {
      const actor = this.userOf(conn);
      const error = (code: number, text: string) => iqError(node, code, text);
      return conn.send(actor ? this.groups.handleIq(actor, node, result, error) : error(401, 'not-authorized'));
    }
    if (xmlns === 'usync') {
      const asker = this.userOf(conn);
      if (asker && asker.rateLimitedQueries > 0) {
        asker.rateLimitedQueries--;
        return conn.send(iqError(node, 429, 'rate-overlimit'));
      }
      return conn.send(result([this.keys.onUsync(child)]));
    }
    if (xmlns === 'w:m' && child?.tag === 'media_conn') {
      return conn.send(result([{ tag: 'media_conn', attrs: { auth: this.media.auth, ttl: '3600', auth_ttl: '3600', max_buckets: '4' }, content: [{ tag: 'host', attrs: { hostname: this.media.hostname, maxContentLengthBytes: String(64 * 1024 * 1024) } }] }]));
    }
    if (xmlns === 'passive' && child?.tag === 'active') {
      // the client is past its login steps (prekeys, offline queue): now the phone pushes the initial history, once
      const owner = this.userOf(conn);
      const device = this.deviceOf(conn);
      if (owner && device && !device.historySent) {
        device.historySent = true;
        setTimeout(() => void this.router.sendInitialHistory(owner, device).catch(() => undefined), 50);
      }
    }
    const actor = this.userOf(conn);
    const accountAnswer = actor && this.accounts.handleIq(actor, node, result, (code, text) => iqError(node, code, text));
    if (accountAnswer) return conn.send(accountAnswer);
    if (xmlns === 'w:sync:app:state') {
      // patches a device sends are applied to the account's chat settings; the server keeps no patch history, so
      // every requested collection is answered as up to date
      if (node.attrs.type === 'set' && actor) await this.accounts.applyPatches(actor, childOf(node, 'sync')).catch(() => undefined);
      const collections = nodeChildren(childOf(node, 'sync')).map((c): BinaryNode => ({ tag: 'collection', attrs: { name: c.attrs.name, version: c.attrs.version ?? '0' } }));
      return conn.send(result([{ tag: 'sync', attrs: {}, content: collections }]));
    }
    if (xmlns === 'privacy' && node.attrs.type === 'set' && child?.tag === 'tokens') {
      // a device issues its account's trusted-contact token to contacts (after a send); WhatsApp answers an empty result
      for (const token of nodeChildren(child)) if (token.attrs.type === 'trusted_contact') actor?.issuedPrivacyTokens.push({ jid: token.attrs.jid, t: token.attrs.t });
      return conn.send(result());
    }
    if (xmlns === 'privacy') {
      return conn.send(result([{ tag: 'privacy', attrs: {}, content: [{ tag: 'category', attrs: { name: 'readreceipts', value: 'all' } }] }]));
    }
    conn.send(result());
  }

  // ---- control: what simulated contacts and WhatsApp do ------------------------------------------------------

  /** Acts as the phone of `phone` scanning `qr` (see Pairing.scanQr). */
  scanQr(qr: string, phone: string, options: { corruptHmac?: boolean } = {}): ScanResult {
    return this.pairing.scanQr(qr, phone, options);
  }

  /** Scans the QR `readQr` shows until the device links (a second scan after companion_reg_refresh). */
  scanQrUntilLinked(readQr: () => Promise<string | undefined> | string | undefined, phone: string, timeoutMs?: number): Promise<void> {
    return this.pairing.scanQrUntilLinked(readQr, phone, timeoutMs);
  }

  /** Acts as the phone of `phone` entering the code the client showed. */
  enterPairingCode(phone: string, code: string, timeoutMs?: number): Promise<void> {
    return this.pairing.enterPairingCode(phone, code, timeoutMs);
  }

  /** `from` sends `message` to every linked device of `to` (see ContactPhones.sendMessage). Returns the message id. */
  sendMessage(from: string, to: string, message: ProtoMessage, options?: SendOptions): Promise<string> {
    return this.contacts.sendMessage(from, to, message, options);
  }

  sendGroupMessage(from: string, groupJid: string, message: ProtoMessage, options?: { id?: string }): Promise<string> {
    return this.contacts.sendGroupMessage(from, groupJid, message, options);
  }

  votePoll(voter: string, pollMessageId: string, options: string[]): Promise<string> {
    return this.contacts.votePoll(voter, pollMessageId, options);
  }

  markRead(from: string, to: string, ids: string[], type?: 'read' | 'played'): void {
    this.contacts.markRead(from, to, ids, type);
  }

  /** The retry receipts linked devices sent for an undecryptable message `id`. */
  retryReceipts(id: string): { device: number; count: number }[] {
    return this.contacts.retryReceipts(id);
  }

  /** Receipts the account's linked devices sent for messages `phone` sent. */
  receipts(phone: string): { id: string; type: string; from: string }[] {
    return this.router.receipts(phone);
  }

  /** What `phone` received, decrypted, in arrival order. */
  received(phone: string): ReceivedMessage[] {
    return this.router.received(phone);
  }

  waitForReceived(phone: string, predicate: (m: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage> {
    return this.router.waitForReceived(phone, predicate, timeoutMs);
  }

  restrict(phone: string, code: number | undefined): void {
    this.limits.restrict(phone, code);
  }

  rateLimit(phone: string, queries: number): void {
    this.limits.rateLimit(phone, queries);
  }

  setReachoutTimelock(phone: string, until: Date | null): void {
    this.limits.setReachoutTimelock(phone, until);
  }

  setNewChatCap(phone: string, cap: { used: number; total: number; cycleEnd: Date }): void {
    this.limits.setNewChatCap(phone, cap);
  }

  /** Encrypts and uploads `data` as a phone would; returns the media message to send with `sendMessage`. */
  uploadMedia(input: MediaUpload): Promise<ProtoMessage> {
    return this.media.upload(this.b, input);
  }

  /** Downloads and decrypts the media of a message a simulated user received. */
  downloadMedia(message: ProtoMessage): Promise<Buffer> {
    return this.media.download(this.b, message);
  }

  /** `from` calls `to`: every linked device of `to` gets the offer. Returns the call id. */
  startCall(from: string, to: string, options: { video?: boolean } = {}): string {
    return this.calls.start(this.user(from), this.user(to), options);
  }

  /** 'ringing' until a linked device rejects the call. */
  callOutcome(callId: string): 'ringing' | 'rejected' | undefined {
    return this.calls.outcome(callId);
  }
}
