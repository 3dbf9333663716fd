/**
 * sandbox/simulator: a loopback WhatsApp server that unmodified Baileys links to, logs in to, and exchanges
 * Signal-encrypted messages with. It owns the WebSocket endpoint, the simulated users, pairing (QR and code),
 * login, the IQs a client needs answered, message routing with receipts and offline queues, and forced
 * disconnects. `control` methods are what tests, the runtime's sandbox mode and the dashboard drive.
 */
import { randomBytes } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import pino from 'pino';
import { loadBaileys, type Baileys } from '../whatsapp/baileys';
import { guardConsole } from '../whatsapp/console-guard';
import { Connection, type ClientPayload } from './connection';
import { makeCertChain, verifySignature, type KeyPair } from './noise';
import { bundleNode, type BinaryNode, type ProtoMessage } from './phone';
import { Accounts } from './accounts';
import { GroupDirectory } from './groups';
import { MediaHost } from './media';
import { textOf } from '../events/normalize';
import { pollVote } from './messages';
import { corruptCiphertext } from './undecryptable';
import { SimUser, type LinkedDevice, type ReceivedMessage, type UserState } from './users';

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

/** The real WhatsApp of late 2026, behaviour by behaviour (docs/whatsapp-compatibility.md). */
export interface RealServerBehaviours {
  /** The first scan of a QR retires its ADV secret (`companion_reg_refresh`); only a QR with a new secret links. */
  qrRefresh: boolean;
  /** A pairing-code request whose `companion_platform_display` is not a standard "Browser (OS)" gets 400 bad-request. */
  strictPlatformDisplay: boolean;
  /** A `link_code_companion_reg` notice without the pairing payload comes before the real one. */
  emptyLinkCodeNotices: boolean;
  /** A message the device did not acknowledge goes out again at its next connection; an acknowledged one never. */
  redeliverUnacked: boolean;
  /** The sender's phone answers a retry receipt by encrypting the message again (see `sendUndecryptable`). */
  resendOnRetry: boolean;
}

export const REAL_WHATSAPP: RealServerBehaviours = { qrRefresh: true, strictPlatformDisplay: true, emptyLinkCodeNotices: true, redeliverUnacked: true, resendOnRetry: true };

/** What the server accepts as a pairing-code platform display. */
const STANDARD_PLATFORM_DISPLAY = /^(Chrome|Edge|Firefox|IE|Opera|Safari) \((Windows|Mac OS|Linux)\)$/;

export type ScanResult = 'linked' | 'refreshed';

export interface SendOptions {
  id?: string;
  /** The ciphertext fails to decrypt ("Bad MAC") until a retry receipt makes the sender encrypt it again. */
  undecryptable?: boolean;
  /** How WhatsApp addresses the sender: by phone number (with the LID beside it) or by LID. */
  addressing?: 'pn' | 'lid';
  /** With LID addressing: whether the sender's phone number comes along (`sender_pn`). */
  withPhoneNumber?: boolean;
}

export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';

export type DisconnectKind = 'restart' | 'logout' | 'replaced' | 'drop';

interface PendingRegistration {
  connection: Connection;
  refs: string[];
  /** The Linked Devices label the client sent (DeviceProps.os). */
  label?: string;
  /** ADV secrets WhatsApp retired with `companion_reg_refresh`: a QR carrying one cannot link. */
  retiredSecrets: Set<string>;
  /** Set by `requestPairingCode` on the client: the companion's wrapped ephemeral key and the number it claims. */
  linkCode?: { phone: string; wrappedEphemeral: Buffer; primaryEphemeral?: KeyPair; companionEphemeral?: Uint8Array; ref: Buffer };
}

interface PairingInProgress {
  user: SimUser;
  deviceId: number;
  identityKey: Uint8Array;
}

const S_WHATSAPP_NET = 's.whatsapp.net';

export class Simulator {
  readonly rootKey: KeyPair;
  private readonly serverStatic: KeyPair;
  private readonly certChain: Uint8Array;
  private readonly wss: WebSocketServer;
  private readonly usersByPn = new Map<string, SimUser>();
  private readonly usersByLid = new Map<string, SimUser>();
  private readonly pending = new Map<Connection, PendingRegistration>();
  private readonly pairing = new Map<Connection, PairingInProgress>();
  readonly groups: GroupDirectory;
  readonly accounts: Accounts;
  private readonly calls = new Map<string, { caller: SimUser; callee: SimUser; outcome: 'ringing' | 'rejected' }>();
  /** Undecryptable messages whose plaintext the sender's phone keeps for retry receipts, by id. */
  private readonly retryable = new Map<string, { sender: SimUser; target: SimUser; message: ProtoMessage; options: SendOptions; retries: { device: number; count: number }[] }>();
  private nextLid = 100000000000001;
  private url_ = '';
  readonly behaviour: RealServerBehaviours;

  private releaseConsole?: () => void;

  private constructor(
    private readonly b: Baileys,
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
        for (const user of users) for (const device of user.devices.values()) this.deliver(user, device.id, node);
      },
    });
    this.accounts = new Accounts(b, { findUser: (jid) => this.findUser(jid), media });
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

  private changed(): void {
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

  private findUser(phoneOrJid: string): SimUser | undefined {
    const decoded = phoneOrJid.includes('@') ? this.b.jidDecode(phoneOrJid) : undefined;
    if (decoded?.server === 'lid') return this.usersByLid.get(decoded.user);
    return this.usersByPn.get(normalisePhone(decoded?.user ?? phoneOrJid));
  }

  // ---- pairing -----------------------------------------------------------------------------------------------

  /**
   * Acts as the phone of `phone` scanning `qr`: links the waiting client as a new device of that user, or (the first
   * scan, as WhatsApp does since 2026-07-28) retires the QR's ADV secret and asks the client to show a new QR.
   */
  scanQr(qr: string, phone: string, options: { corruptHmac?: boolean } = {}): ScanResult {
    const parts = qr.split('#')[1]?.split(',');
    if (!parts || parts.length < 4) throw new Error('not a WhatsApp linking QR code');
    const [ref, noiseB64, identityB64, advB64] = parts;
    const registration = [...this.pending.values()].find((p) => p.refs.includes(ref));
    if (!registration) throw new Error('no client is showing this QR code (expired or already used)');
    if (!Buffer.from(noiseB64, 'base64').equals(Buffer.from(registration.connection.clientStatic ?? []))) {
      throw new Error('QR code does not match the waiting client');
    }
    if (registration.retiredSecrets.has(advB64)) throw new Error("Couldn't link device: the QR code carries a secret WhatsApp retired (companion_reg_refresh)");
    if (this.behaviour.qrRefresh && registration.retiredSecrets.size === 0) {
      registration.retiredSecrets.add(advB64);
      registration.connection.send({
        tag: 'notification',
        attrs: { from: S_WHATSAPP_NET, type: 'companion_reg_refresh', id: messageId(), t: now() },
        content: [{ tag: 'companion_reg_refresh', attrs: {} }],
      });
      return 'refreshed';
    }
    const user = this.findUser(phone) ?? this.createUser({ phone });
    this.sendPairSuccess(registration.connection, user, Buffer.from(identityB64, 'base64'), Buffer.from(advB64, 'base64'), options);
    return 'linked';
  }

  /**
   * Scans the QR `readQr` shows until the device links: after a `companion_reg_refresh` the client must show the
   * same ref with a new secret, which is read (polled) and scanned again, as a person would.
   */
  async scanQrUntilLinked(readQr: () => Promise<string | undefined> | string | undefined, phone: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let qr = await readQr();
    for (;;) {
      if (qr && this.scanQr(qr, phone) === 'linked') return;
      const shown = qr;
      while ((qr = await readQr()) === shown || !qr) {
        if (Date.now() > deadline) throw new Error('the client did not show a new QR code after companion_reg_refresh');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /**
   * Acts as the phone of `phone` entering the 8-character code the client showed. Waits up to `timeoutMs` for the
   * client's pairing-code request to arrive (the client may still be sending it).
   */
  async enterPairingCode(phone: string, code: string, timeoutMs = 5000): Promise<void> {
    const { b } = this;
    const pn = normalisePhone(phone);
    const deadline = Date.now() + timeoutMs;
    let registration = this.pendingLinkCode(pn);
    while (!registration) {
      if (Date.now() > deadline) throw new Error(`no client is waiting for a pairing code for ${pn}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      registration = this.pendingLinkCode(pn);
    }
    const user = this.findUser(pn) ?? this.createUser({ phone: pn });
    const link = registration.linkCode!;
    const wrapped = link.wrappedEphemeral;
    const key = await b.derivePairingCodeKey(code.toUpperCase(), wrapped.subarray(0, 32));
    link.companionEphemeral = b.aesDecryptCTR(wrapped.subarray(48, 80), key, wrapped.subarray(32, 48));
    link.primaryEphemeral = b.Curve.generateKeyPair();
    const salt = randomBytes(32);
    const iv = randomBytes(16);
    const primaryKey = await b.derivePairingCodeKey(code.toUpperCase(), salt);
    const wrappedPrimary = Buffer.concat([salt, iv, b.aesEncryptCTR(link.primaryEphemeral.public, primaryKey, iv)]);
    registration.connection.send({
      tag: 'notification',
      attrs: { from: S_WHATSAPP_NET, type: 'link_code_companion_reg', id: messageId(), t: now() },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { stage: 'primary_hello' },
          content: [
            { tag: 'link_code_pairing_ref', attrs: {}, content: link.ref },
            { tag: 'primary_identity_pub', attrs: {}, content: user.phone.creds.signedIdentityKey.public },
            { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: wrappedPrimary },
          ],
        },
      ],
    });
  }

  private pendingLinkCode(pn: string): PendingRegistration | undefined {
    return [...this.pending.values()].find((p) => p.linkCode?.phone === pn);
  }

  private onCompanionFinish(conn: Connection, node: BinaryNode, reg: BinaryNode): void {
    const { b } = this;
    const registration = this.pending.get(conn);
    const link = registration?.linkCode;
    if (!link?.primaryEphemeral || !link.companionEphemeral) {
      conn.send(iqError(node, 400, 'bad-request'));
      return;
    }
    const user = this.user(link.phone);
    const bundle = childBuffer(b, reg, 'link_code_pairing_wrapped_key_bundle');
    const companionIdentity = childBuffer(b, reg, 'companion_identity_public');
    const companionShared = b.Curve.sharedKey(link.primaryEphemeral.private, link.companionEphemeral);
    const bundleKey = b.hkdf(companionShared, 32, { salt: bundle.subarray(0, 32), info: 'link_code_pairing_key_bundle_encryption_key' });
    const plain = b.aesDecryptGCM(bundle.subarray(44), bundleKey, bundle.subarray(32, 44), Buffer.alloc(0));
    const random = plain.subarray(64, 96);
    const identityShared = b.Curve.sharedKey(user.phone.creds.signedIdentityKey.private, companionIdentity);
    const advSecret = b.hkdf(Buffer.concat([companionShared, identityShared, random]), 32, { info: 'adv_secret' });
    conn.send({ tag: 'iq', attrs: { id: node.attrs.id, type: 'result', from: S_WHATSAPP_NET } });
    this.sendPairSuccess(conn, user, companionIdentity, advSecret, {});
  }

  private sendPairSuccess(conn: Connection, user: SimUser, identityKey: Uint8Array, advSecret: Uint8Array, options: { corruptHmac?: boolean }): void {
    const { b } = this;
    const deviceId = user.allocateDeviceId();
    const details = b.proto.ADVDeviceIdentity.encode({ rawId: randomBytes(4).readUInt32BE(), timestamp: Number(now()), keyIndex: deviceId }).finish();
    const accountSignature = b.Curve.sign(user.accountKey.private, Buffer.concat([Buffer.from([6, 0]), details, identityKey]));
    const signed = b.proto.ADVSignedDeviceIdentity.encode({ details, accountSignatureKey: user.accountKey.public, accountSignature }).finish();
    const hmac = b.hmacSign(signed, Buffer.from(advSecret));
    if (options.corruptHmac) hmac[0] ^= 0xff;
    const wrapped = b.proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac }).finish();
    this.pairing.set(conn, { user, deviceId, identityKey });
    conn.send({
      tag: 'iq',
      attrs: { from: S_WHATSAPP_NET, type: 'set', id: messageId(), xmlns: 'md' },
      content: [
        {
          tag: 'pair-success',
          attrs: {},
          content: [
            { tag: 'device-identity', attrs: {}, content: wrapped },
            { tag: 'platform', attrs: { name: 'android' } },
            { tag: 'device', attrs: { jid: `${user.pn}:${deviceId}@${S_WHATSAPP_NET}`, lid: `${user.lid}:${deviceId}@lid` } },
          ],
        },
      ],
    });
  }

  /**
   * The client signed its device identity: check that signature as the primary phone would, then the device is
   * linked and the stream restarts as on WhatsApp (515).
   */
  private onPairDeviceSign(conn: Connection, sign: BinaryNode): void {
    const { b } = this;
    const pairing = this.pairing.get(conn);
    if (!pairing || !conn.clientStatic) return;
    const label = this.pending.get(conn)?.label;
    this.pairing.delete(conn);
    this.pending.delete(conn);
    const account = b.proto.ADVSignedDeviceIdentity.decode(childBuffer(b, sign, 'device-identity'));
    const signedMessage = Buffer.concat([Buffer.from([6, 1]), account.details!, pairing.identityKey, pairing.user.accountKey.public]);
    if (!account.deviceSignature || !verifySignature(pairing.identityKey, signedMessage, account.deviceSignature)) {
      conn.end({ tag: 'failure', attrs: { reason: '401', location: 'sim' } });
      return;
    }
    pairing.user.devices.set(pairing.deviceId, {
      id: pairing.deviceId,
      ...(label && { label }),
      noiseKey: conn.clientStatic,
      identityKey: pairing.identityKey,
      preKeys: new Map(),
      preKeyUploads: 0,
      preKeysUploaded: 0,
      historySent: false,
      offlineQueue: [],
      unacked: new Map(),
    });
    conn.end({ tag: 'stream:error', attrs: { code: '515' } });
  }

  // ---- connection lifecycle ----------------------------------------------------------------------------------

  private onPayload(conn: Connection, payload: ClientPayload): void {
    if (payload.devicePairingData) {
      const refs = Array.from({ length: this.options.qrRefs ?? 6 }, () => randomBytes(16).toString('base64url'));
      const props = payload.devicePairingData.deviceProps;
      const label = props ? (this.b.proto.DeviceProps.decode(props).os ?? undefined) : undefined;
      this.pending.set(conn, { connection: conn, refs, label, retiredSecrets: new Set() });
      conn.send({
        tag: 'iq',
        attrs: { from: S_WHATSAPP_NET, type: 'set', id: messageId(), xmlns: 'md' },
        content: [{ tag: 'pair-device', attrs: {}, content: refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }],
      });
      return;
    }
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
    device.connection?.end({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] });
    device.connection = conn;
    const app = payload.userAgent?.appVersion;
    device.appVersion = app ? `${app.primary}.${app.secondary}.${app.tertiary}` : undefined;
    conn.deviceKey = `${user.pn}:${device.id}`;
    conn.send({ tag: 'success', attrs: { t: now(), lid: `${user.lid}:${device.id}@lid`, props: '1', creation: now() } });
    const queued = device.offlineQueue.splice(0);
    // WhatsApp marks stanzas replayed from the offline queue with an `offline` attribute
    for (const node of queued) this.sendTracked(device, conn, { ...node, attrs: { ...node.attrs, offline: '0' } });
    conn.send({ tag: 'ib', attrs: {}, content: [{ tag: 'offline', attrs: { count: String(queued.length) } }] });
  }

  private onClose(conn: Connection): void {
    this.pending.delete(conn);
    this.pairing.delete(conn);
    const device = this.deviceOf(conn);
    if (!device) return;
    if (device.connection === conn) device.connection = undefined;
    // what the device never acknowledged is still WhatsApp's to deliver: it goes out again, in order
    const unacked = [...device.unacked.values()].filter((sent) => sent.connection === conn.id).map((sent) => sent.node);
    for (const node of unacked) device.unacked.delete(node.attrs.id);
    const next = device.connection;
    if (next && !next.closed) for (const node of unacked) this.sendTracked(device, next, node);
    else device.offlineQueue.unshift(...unacked);
  }

  /** Sends a node on a device's connection; a message stays unacknowledged until the device's receipt or ack. */
  private sendTracked(device: LinkedDevice, conn: Connection, node: BinaryNode): void {
    if (node.tag === 'message' && this.behaviour.redeliverUnacked) device.unacked.set(node.attrs.id, { node, connection: conn.id });
    conn.send(node);
  }

  /** A receipt or ack from a linked device: the messages it names are acknowledged and never sent again. */
  private onAcknowledged(conn: Connection, node: BinaryNode): void {
    const device = this.deviceOf(conn);
    if (!device || node.attrs.type === 'retry') return;
    for (const id of [node.attrs.id, ...nodeChildren(childOf(node, 'list')).map((item) => item.attrs.id)]) if (id) device.unacked.delete(id);
  }

  private deviceOf(conn: Connection): LinkedDevice | undefined {
    if (!conn.deviceKey) return undefined;
    const [pn, id] = conn.deviceKey.split(':');
    return this.usersByPn.get(pn)?.devices.get(Number(id));
  }

  private userOf(conn: Connection): SimUser | undefined {
    return conn.deviceKey ? this.usersByPn.get(conn.deviceKey.split(':')[0]) : undefined;
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

  // ---- nodes from clients ------------------------------------------------------------------------------------

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
        return this.onMessage(conn, node);
      case 'call':
        return this.onCallStanza(conn, node);
      case 'receipt':
        this.onAcknowledged(conn, node);
        if (node.attrs.type === 'retry') return this.onRetryReceipt(conn, node);
        return this.onReceiptStanza(conn, node);
      case 'ack':
        if (node.attrs.class === 'message') this.onAcknowledged(conn, node);
        return undefined;
      case 'chatstate': {
        const actor = this.userOf(conn);
        if (actor) this.accounts.onChatState(actor, node);
        return undefined;
      }
      default:
        return undefined; // receipts, acks, presence and chatstates need no answer
    }
  }

  private async onIq(conn: Connection, node: BinaryNode): Promise<void> {
    const { b } = this;
    const child = firstChild(node);
    if (node.attrs.type === 'result' || node.attrs.type === 'error') {
      if (child?.tag === 'pair-device-sign') this.onPairDeviceSign(conn, child);
      return;
    }
    const result = (content?: BinaryNode[]): BinaryNode => ({
      tag: 'iq',
      attrs: { id: node.attrs.id, type: 'result', from: node.attrs.to ?? S_WHATSAPP_NET },
      ...(content && { content }),
    });
    const xmlns = node.attrs.xmlns;
    if (xmlns === 'md' && child?.tag === 'link_code_companion_reg') {
      if (child.attrs.stage === 'companion_hello') {
        const registration = this.pending.get(conn);
        const display = b.getBinaryNodeChildString(child, 'companion_platform_display') ?? '';
        if (this.behaviour.strictPlatformDisplay && !STANDARD_PLATFORM_DISPLAY.test(display)) return conn.send(iqError(node, 400, 'bad-request'));
        if (registration) {
          registration.linkCode = {
            phone: normalisePhone(b.jidDecode(child.attrs.jid)?.user ?? ''),
            wrappedEphemeral: childBuffer(b, child, 'link_code_pairing_wrapped_companion_ephemeral_pub'),
            ref: randomBytes(32),
          };
        }
        conn.send(result([{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: registration?.linkCode?.ref ?? Buffer.alloc(0) }] }]));
        if (this.behaviour.emptyLinkCodeNotices) {
          conn.send({ tag: 'notification', attrs: { from: S_WHATSAPP_NET, type: 'link_code_companion_reg', id: messageId(), t: now() }, content: [{ tag: 'link_code_companion_reg', attrs: { stage: 'refresh_code' } }] });
        }
      } else if (child.attrs.stage === 'companion_finish') {
        this.onCompanionFinish(conn, node, child);
      }
      return;
    }
    if (xmlns === 'md' && child?.tag === 'remove-companion-device') {
      const user = this.userOf(conn);
      const device = this.deviceOf(conn);
      conn.send(result());
      if (user && device) user.devices.delete(device.id);
      return;
    }
    if (xmlns === 'encrypt') return conn.send(this.onEncryptIq(conn, node, result));
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
      return conn.send(result([this.onUsync(child)]));
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
        setTimeout(() => void this.sendInitialHistory(owner, device).catch(() => undefined), 50);
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
    if (xmlns === 'privacy') {
      return conn.send(result([{ tag: 'privacy', attrs: {}, content: [{ tag: 'category', attrs: { name: 'readreceipts', value: 'all' } }] }]));
    }
    conn.send(result());
  }

  private onEncryptIq(conn: Connection, node: BinaryNode, result: (content?: BinaryNode[]) => BinaryNode): BinaryNode {
    const { b } = this;
    const device = this.deviceOf(conn);
    const child = firstChild(node);
    if (node.attrs.type === 'set' && device && childOf(node, 'registration')) {
      device.registrationId = Buffer.from(childBuffer(b, node, 'registration')).readUInt32BE();
      device.identityKey = childBuffer(b, node, 'identity');
      device.signedPreKey = readSignedPreKey(b, childOf(node, 'skey'));
      for (const key of b.getBinaryNodeChildren(childOf(node, 'list'), 'key')) {
        device.preKeys.set(b.getBinaryNodeChildUInt(key, 'id', 3)!, childBuffer(b, key, 'value'));
        device.preKeysUploaded++;
      }
      device.preKeyUploads++;
      return result();
    }
    if (node.attrs.type === 'set' && device && child?.tag === 'rotate') {
      device.signedPreKey = readSignedPreKey(b, childOf(child, 'skey'));
      return result();
    }
    if (child?.tag === 'count') return result([{ tag: 'count', attrs: { value: String(device?.preKeys.size ?? 0) } }]);
    if (child?.tag === 'digest') return result([{ tag: 'digest', attrs: {} }]);
    if (child?.tag === 'key') {
      const users = b.getBinaryNodeChildren(child, 'user').flatMap((u) => {
        const bundle = this.takeBundle(u.attrs.jid);
        return bundle ? [bundleNode(b, u.attrs.jid, bundle)] : [];
      });
      return result([{ tag: 'list', attrs: {}, content: users }]);
    }
    return result();
  }

  /** A prekey bundle for `<user>:<device>@lid|s.whatsapp.net`; one-time prekeys are used up as on WhatsApp. */
  private takeBundle(jid: string) {
    const decoded = this.b.jidDecode(jid);
    const user = decoded && this.findUser(jid);
    if (!user || !decoded) return undefined;
    if (!decoded.device) return user.phone.bundle();
    const device = user.devices.get(decoded.device);
    if (!device?.signedPreKey || device.registrationId === undefined) return undefined;
    const next = device.preKeys.entries().next();
    if (!next.done) device.preKeys.delete(next.value[0]);
    return {
      registrationId: device.registrationId,
      identityKey: device.identityKey,
      signedPreKey: device.signedPreKey,
      preKey: next.done ? undefined : { keyId: next.value[0], publicKey: next.value[1] },
    };
  }

  private onUsync(usync: BinaryNode | undefined): BinaryNode {
    const query = childOf(usync, 'query');
    const protocols = nodeChildren(query).map((p) => p.tag);
    const list = nodeChildren(childOf(usync, 'list')).flatMap((userNode) => {
      const contactNode = childOf(userNode, 'contact');
      const asked = userNode.attrs.jid ?? (contactNode?.content ? Buffer.from(contactNode.content as Uint8Array).toString() : '');
      const user = this.findUser(asked);
      const jid = userNode.attrs.jid ?? `${normalisePhone(asked)}@${S_WHATSAPP_NET}`;
      if (!user && userNode.attrs.jid) return [];
      const content: BinaryNode[] = [];
      for (const protocol of protocols) {
        if (protocol === 'contact') content.push({ tag: 'contact', attrs: { type: user ? 'in' : 'out' } });
        if (protocol === 'lid' && user) content.push({ tag: 'lid', attrs: { val: user.lidJid } });
        if (protocol === 'devices' && user) {
          const ids = [0, ...user.devices.keys()];
          content.push({
            tag: 'devices',
            attrs: {},
            content: [{ tag: 'device-list', attrs: {}, content: ids.map((id): BinaryNode => ({ tag: 'device', attrs: id ? { id: String(id), 'key-index': String(id) } : { id: '0' } })) }],
          });
        }
        if (protocol === 'status' && user) content.push({ tag: 'status', attrs: { t: now() }, content: Buffer.from(user.about) });
      }
      return [{ tag: 'user', attrs: { jid }, content }];
    });
    return { tag: 'usync', attrs: { sid: usync?.attrs.sid ?? messageId() }, content: [{ tag: 'result', attrs: {} }, { tag: 'list', attrs: {}, content: list }] };
  }

  // ---- messages ----------------------------------------------------------------------------------------------

  /** A message from a linked device: acknowledged, then each addressed device gets its copy. */
  private async onMessage(conn: Connection, node: BinaryNode): Promise<void> {
    const { b } = this;
    const sender = this.userOf(conn);
    const senderDevice = this.deviceOf(conn);
    const to = node.attrs.to;
    if (sender?.restriction && to && !to.endsWith('@g.us')) {
      // a restricted account's direct messages are refused with an error ack and reach no one
      conn.send({ tag: 'ack', attrs: { class: 'message', id: node.attrs.id, from: to, t: now(), error: String(sender.restriction) } });
      return;
    }
    conn.send({ tag: 'ack', attrs: { class: 'message', id: node.attrs.id, from: to, t: now() } });
    if (!sender || !senderDevice || !to) return;
    const senderJid = `${sender.lid}:${senderDevice.id}@lid`;
    if (to.endsWith('@g.us')) return this.onGroupMessage(sender, senderDevice, senderJid, node);
    const participants = nodeChildren(childOf(node, 'participants'));
    const copies = participants.length
      ? participants.map((p) => ({ jid: p.attrs.jid, enc: childOf(p, 'enc') }))
      : [{ jid: to, enc: childOf(node, 'enc') }];
    for (const { jid, enc } of copies) {
      if (!enc?.content || !jid) continue;
      const target = this.findUser(jid);
      const device = b.jidDecode(jid)?.device ?? 0;
      if (!target) continue;
      if (device === 0) {
        const message = await target.phone.decrypt(senderJid, enc.attrs.type as 'pkmsg' | 'msg', enc.content as Uint8Array);
        if (target === sender) continue; // the copy for the sender's own phone (deviceSentMessage)
        this.recordReceived(target, { id: node.attrs.id, from: sender.pnJid, chat: sender.pnJid, timestamp: Number(now()), message });
        if (target.autoDeliveryReceipt) this.sendReceipt(sender, to, node.attrs.id);
      } else if (target !== sender) {
        this.deliver(target, device, {
          tag: 'message',
          attrs: { from: sender.pnJid, id: node.attrs.id, t: now(), type: node.attrs.type ?? 'text', notify: sender.name, sender_lid: sender.lidJid },
          content: [enc],
        });
      }
    }
  }

  /**
   * A group message from a linked device: the sender-key distribution copies (one per device) are processed by
   * each member's phone, then every member decrypts the one sender-key ciphertext; other linked devices get both.
   */
  private async onGroupMessage(sender: SimUser, senderDevice: LinkedDevice, senderJid: string, node: BinaryNode): Promise<void> {
    const { b } = this;
    const group = this.groups.get(node.attrs.to);
    const skmsg = nodeChildren(node).find((c) => c.tag === 'enc' && c.attrs.type === 'skmsg');
    if (!group || !skmsg?.content) return;
    const author = `${sender.pn}:${senderDevice.id}@${S_WHATSAPP_NET}`;
    const copies = new Map<string, BinaryNode>();
    for (const to of nodeChildren(childOf(node, 'participants'))) {
      const enc = childOf(to, 'enc');
      const target = this.findUser(to.attrs.jid);
      if (!enc?.content || !target) continue;
      if ((b.jidDecode(to.attrs.jid)?.device ?? 0) === 0) {
        const distribution = await target.phone.decrypt(senderJid, enc.attrs.type as 'pkmsg' | 'msg', enc.content as Uint8Array);
        if (distribution.senderKeyDistributionMessage) await target.phone.processSenderKey(author, distribution.senderKeyDistributionMessage);
      } else {
        copies.set(to.attrs.jid, enc);
      }
    }
    for (const member of group.participants.keys()) {
      if (member === sender) continue;
      const message = await member.phone.decryptGroup(`${group.id}@g.us`, author, skmsg.content as Uint8Array);
      this.recordReceived(member, { id: node.attrs.id, from: sender.pnJid, chat: `${group.id}@g.us`, timestamp: Number(now()), message });
      for (const device of member.devices.values()) {
        const copy = copies.get(`${member.lid}:${device.id}@lid`) ?? copies.get(`${member.pn}:${device.id}@${S_WHATSAPP_NET}`);
        this.deliver(member, device.id, {
          tag: 'message',
          attrs: { from: `${group.id}@g.us`, participant: author, id: node.attrs.id, t: now(), type: node.attrs.type ?? 'text', notify: sender.name, addressing_mode: 'pn' },
          content: [...(copy ? [copy] : []), skmsg],
        });
      }
    }
  }

  /**
   * What the primary phone does after linking a device: a history sync notification (an empty initial bootstrap
   * with the push names it knows, inline), so the client leaves its "awaiting initial sync" state at once.
   */
  private async sendInitialHistory(owner: SimUser, device: LinkedDevice): Promise<void> {
    const { b } = this;
    const { HistorySync } = b.proto;
    const history = HistorySync.encode({
      syncType: HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
      conversations: [],
      pushnames: this.users().filter((u) => u !== owner).map((u) => ({ id: u.pnJid, pushname: u.name })),
      progress: 100,
      chunkOrder: 0,
    }).finish();
    const notification: ProtoMessage = {
      protocolMessage: {
        type: b.proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
        historySyncNotification: {
          syncType: HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
          initialHistBootstrapInlinePayload: deflateSync(history),
          chunkOrder: 0,
          progress: 100,
        },
      },
    };
    await this.sendToOwnDevice(owner, device, notification);
    await this.sendToOwnDevice(owner, device, this.accounts.keyShare(owner));
  }

  /** A peer message from the account's phone to one of its linked devices (history, app-state keys). */
  private async sendToOwnDevice(owner: SimUser, device: LinkedDevice, message: ProtoMessage): Promise<void> {
    const deviceJid = `${owner.lid}:${device.id}@lid`;
    const enc = await owner.phone.encrypt(deviceJid, message, () => this.takeBundle(deviceJid));
    this.deliver(owner, device.id, {
      tag: 'message',
      attrs: { from: owner.pnJid, id: messageId(), t: now(), type: 'text', category: 'peer' },
      content: [{ tag: 'enc', attrs: { v: '2', type: enc.type }, content: enc.ciphertext }],
    });
  }

  private recordReceived(user: SimUser, entry: Omit<ReceivedMessage, 'text'>): void {
    user.received.push({ ...entry, text: textOf(entry.message) });
  }

  /** Queues or sends a node to one linked device of `user`. */
  private deliver(user: SimUser, deviceId: number, node: BinaryNode): void {
    const device = user.devices.get(deviceId);
    if (!device) return;
    if (device.connection && !device.connection.closed) this.sendTracked(device, device.connection, node);
    else device.offlineQueue.push(node);
  }

  private sendReceipt(toUser: SimUser, chatJid: string, id: string, type?: 'read' | 'played'): void {
    for (const device of toUser.devices.values()) {
      this.deliver(toUser, device.id, { tag: 'receipt', attrs: { from: chatJid, id, t: now(), ...(type && { type }) } });
    }
  }

  // ---- control: what simulated contacts do -------------------------------------------------------------------

  /**
   * `from` sends `message` to every linked device of `to` (Signal-encrypted per device). Returns the message id.
   * `undecryptable`: the ciphertext fails to decrypt ("Bad MAC"); the sender's phone sends it again, decryptable,
   * when a device answers with a retry receipt (behaviour `resendOnRetry`). `addressing: 'lid'` sends it from the
   * sender's LID, as WhatsApp mostly does since its LID migration, with (`withPhoneNumber`, default) or without the
   * sender's phone number beside it.
   */
  async sendMessage(from: string, to: string, message: ProtoMessage, options: SendOptions = {}): Promise<string> {
    const sender = this.user(from);
    const target = this.user(to);
    const id = options.id ?? messageId();
    for (const device of target.devices.values()) await this.sendToDevice(sender, target, device.id, id, message, options);
    if (options.undecryptable) this.retryable.set(id, { sender, target, message, options, retries: [] });
    return id;
  }

  private async sendToDevice(sender: SimUser, target: SimUser, deviceId: number, id: string, message: ProtoMessage, options: SendOptions): Promise<void> {
    const deviceJid = `${target.lid}:${deviceId}@lid`;
    const type = messageType(message);
    const encrypted = await sender.phone.encrypt(deviceJid, message, () => this.takeBundle(deviceJid));
    this.changed();
    const ciphertext = options.undecryptable ? corruptCiphertext(encrypted.type as 'pkmsg' | 'msg', encrypted.ciphertext) : encrypted.ciphertext;
    const address: Record<string, string> = options.addressing === 'lid'
      ? { from: sender.lidJid, addressing_mode: 'lid', ...(options.withPhoneNumber !== false && { sender_pn: sender.pnJid }) }
      : { from: sender.pnJid, sender_lid: sender.lidJid };
    this.deliver(target, deviceId, {
      tag: 'message',
      attrs: { ...address, id, t: now(), type, notify: sender.name },
      content: [{ tag: 'enc', attrs: { v: '2', type: encrypted.type, ...(type === 'media' && { mediatype: mediaKind(message)! }) }, content: ciphertext }],
    });
  }

  /** A retry receipt: the sender's phone encrypts the message again for the device that could not decrypt it. */
  private async onRetryReceipt(conn: Connection, node: BinaryNode): Promise<void> {
    const pending = this.retryable.get(node.attrs.id);
    const device = this.deviceOf(conn);
    if (!pending || !device) return;
    pending.retries.push({ device: device.id, count: Number(childOf(node, 'retry')?.attrs.count ?? 1) });
    if (this.behaviour.resendOnRetry) await this.sendToDevice(pending.sender, pending.target, device.id, node.attrs.id, pending.message, { ...pending.options, undecryptable: false });
  }

  /** The retry receipts linked devices sent for an undecryptable message `id`. */
  retryReceipts(id: string): { device: number; count: number }[] {
    return [...(this.retryable.get(id)?.retries ?? [])];
  }

  /** `from` (a simulated member) sends `message` to a group: sender-key encrypted, with the key distributed per device. */
  async sendGroupMessage(from: string, groupJid: string, message: ProtoMessage, options: { id?: string } = {}): Promise<string> {
    const sender = this.user(from);
    const group = this.groups.get(groupJid);
    if (!group) throw new Error(`no simulated group ${groupJid}`);
    if (!group.participants.has(sender)) throw new Error(`${sender.pn} is not a member of ${groupJid}`);
    const id = options.id ?? messageId();
    const jid = `${group.id}@g.us`;
    const { ciphertext, senderKeyDistributionMessage } = await sender.phone.encryptGroup(jid, sender.pnJid, message);
    const distribution: ProtoMessage = { senderKeyDistributionMessage: { groupId: jid, axolotlSenderKeyDistributionMessage: senderKeyDistributionMessage } };
    const type = messageType(message);
    for (const member of group.participants.keys()) {
      if (member === sender) continue;
      this.recordReceived(member, { id, from: sender.pnJid, chat: jid, timestamp: Number(now()), message });
      for (const device of member.devices.values()) {
        const deviceJid = `${member.lid}:${device.id}@lid`;
        const enc = await sender.phone.encrypt(deviceJid, distribution, () => this.takeBundle(deviceJid));
        this.deliver(member, device.id, {
          tag: 'message',
          attrs: { from: jid, participant: sender.pnJid, id, t: now(), type, notify: sender.name, addressing_mode: 'pn' },
          content: [
            { tag: 'enc', attrs: { v: '2', type: enc.type }, content: enc.ciphertext },
            { tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: ciphertext },
          ],
        });
      }
    }
    return id;
  }

  /**
   * `voter` votes on a poll it received (direct or in a group), encrypted with the poll's secret as a phone does.
   * An empty `options` withdraws the vote. Returns the vote message's id.
   */
  async votePoll(voter: string, pollMessageId: string, options: string[]): Promise<string> {
    const user = this.user(voter);
    const poll = user.received.find((m) => m.id === pollMessageId);
    const secret = poll?.message.messageContextInfo?.messageSecret;
    if (!poll || !secret) throw new Error(`${user.pn} received no poll ${pollMessageId}`);
    const group = poll.chat.endsWith('@g.us');
    const vote = pollVote({
      poll: { remoteJid: poll.chat, id: poll.id, fromMe: false, ...(group && { participant: poll.from }) },
      pollCreatorJid: poll.from,
      voterJid: user.pnJid,
      secret,
      options,
    });
    return group ? this.sendGroupMessage(voter, poll.chat, vote) : this.sendMessage(voter, poll.from, vote);
  }

  /**
   * Encrypts and uploads `data` as `from`'s phone would, and returns the media message to send with
   * `sendMessage`/`sendGroupMessage`.
   */
  async uploadMedia(input: { kind: MediaKind; data: Buffer; mimetype: string; caption?: string; fileName?: string; ptt?: boolean; seconds?: number }): Promise<ProtoMessage> {
    const { b } = this;
    const mediaType = input.kind === 'voice' ? 'audio' : input.kind;
    const encrypted = await b.encryptedStream(input.data, mediaType);
    try {
      const { url, directPath } = this.media.put(await readFile(encrypted.encFilePath));
      const fields = {
        url,
        directPath,
        mediaKey: encrypted.mediaKey,
        fileEncSha256: encrypted.fileEncSha256,
        fileSha256: encrypted.fileSha256,
        fileLength: encrypted.fileLength,
        mimetype: input.mimetype,
        mediaKeyTimestamp: Number(now()),
        ...(input.caption !== undefined && { caption: input.caption }),
        ...(input.fileName !== undefined && { fileName: input.fileName, title: input.fileName }),
        ...(input.kind === 'voice' && { ptt: true }),
        ...(input.seconds !== undefined && { seconds: input.seconds }),
      };
      return { [`${mediaType}Message`]: fields } as ProtoMessage;
    } finally {
      await unlink(encrypted.encFilePath).catch(() => undefined);
    }
  }

  /** Downloads and decrypts the media of a message a simulated user received. */
  async downloadMedia(message: ProtoMessage): Promise<Buffer> {
    const { b } = this;
    const kind = (['imageMessage', 'videoMessage', 'audioMessage', 'documentMessage', 'stickerMessage'] as const).find((k) => message[k]);
    if (!kind) throw new Error('message has no media');
    const stream = await b.downloadContentFromMessage(message[kind]!, kind.replace('Message', '') as 'image', { options: { dispatcher: this.media.dispatcher } as never });
    return b.toBuffer(stream);
  }

  /** `from` calls `to`: every linked device of `to` gets the offer. Returns the call id. */
  startCall(from: string, to: string, options: { video?: boolean } = {}): string {
    const caller = this.user(from);
    const callee = this.user(to);
    const callId = randomBytes(16).toString('hex').toUpperCase();
    this.calls.set(callId, { caller, callee, outcome: 'ringing' });
    for (const device of callee.devices.values()) {
      this.deliver(callee, device.id, {
        tag: 'call',
        attrs: { from: caller.pnJid, id: messageId(), t: now(), notify: caller.name },
        content: [{ tag: 'offer', attrs: { 'call-id': callId, 'call-creator': caller.pnJid, caller_pn: caller.pnJid }, content: options.video ? [{ tag: 'video', attrs: {} }] : undefined }],
      });
    }
    return callId;
  }

  /** Receipts (read, played) a linked device sent for messages of another user: recorded on that user. */
  private onReceiptStanza(conn: Connection, node: BinaryNode): void {
    const reader = this.userOf(conn);
    const target = node.attrs.to && !node.attrs.to.endsWith('@g.us') ? this.findUser(node.attrs.to) : node.attrs.participant ? this.findUser(node.attrs.participant) : undefined;
    if (!reader || !target || target === reader) return;
    const ids = [node.attrs.id, ...nodeChildren(childOf(node, 'list')).map((item) => item.attrs.id)].filter(Boolean);
    for (const id of ids) target.receipts.push({ id, type: node.attrs.type ?? 'delivery', from: reader.pnJid });
  }

  /** Receipts the account's linked devices sent for messages `phone` sent. */
  receipts(phone: string): { id: string; type: string; from: string }[] {
    return [...this.user(phone).receipts];
  }

  /** 'ringing' until a linked device rejects the call. */
  callOutcome(callId: string): 'ringing' | 'rejected' | undefined {
    return this.calls.get(callId)?.outcome;
  }

  private onCallStanza(conn: Connection, node: BinaryNode): void {
    const reject = childOf(node, 'reject');
    const call = reject ? this.calls.get(reject.attrs['call-id']) : undefined;
    if (call) call.outcome = 'rejected';
    conn.send({ tag: 'ack', attrs: { id: node.attrs.id, class: 'call', from: node.attrs.to ?? S_WHATSAPP_NET, ...(reject && { type: 'reject' }) } });
  }

  /** `from` tells `to` that it read (or played) the given messages that `to` sent it. */
  markRead(from: string, to: string, ids: string[], type: 'read' | 'played' = 'read'): void {
    const reader = this.user(from);
    for (const id of ids) this.sendReceipt(this.user(to), reader.pnJid, id, type);
  }

  /**
   * WhatsApp restricts (or, with undefined, frees) `phone`'s account: its direct messages get an error ack with
   * `code` (463 = restricted) instead of being delivered.
   */
  restrict(phone: string, code: number | undefined): void {
    this.user(phone).restriction = code;
  }

  /** WhatsApp answers `phone`'s next `queries` contact lookups (usync) with 429 rate-overlimit. */
  rateLimit(phone: string, queries: number): void {
    this.user(phone).rateLimitedQueries = queries;
  }

  /** Tells `phone`'s linked devices about a reach-out time lock until `until`, or (null) that it was lifted. */
  setReachoutTimelock(phone: string, until: Date | null): void {
    const payload = until
      ? { is_active: true, time_enforcement_ends: String(Math.floor(until.getTime() / 1000)), enforcement_type: 'DEFAULT' }
      : { is_active: false };
    this.notifyMex(phone, 'NotificationUserReachoutTimelockUpdate', { xwa2_notify_account_reachout_timelock: payload });
  }

  /** Tells `phone`'s linked devices how much of its new-chat message quota is used in the cycle ending at `cycleEnd`. */
  setNewChatCap(phone: string, cap: { used: number; total: number; cycleEnd: Date }): void {
    const payload = { used_quota: cap.used, total_quota: cap.total, cycle_end_timestamp: String(Math.floor(cap.cycleEnd.getTime() / 1000)) };
    this.notifyMex(phone, 'MessageCappingInfoNotification', { xwa2_notify_new_chat_messages_capping_info_update: payload });
  }

  /** A server notification carrying a GraphQL (mex) update, as WhatsApp pushes account state changes. */
  private notifyMex(phone: string, opName: string, data: object): void {
    const user = this.user(phone);
    const body = Buffer.from(JSON.stringify({ data }));
    for (const device of user.devices.values()) {
      this.deliver(user, device.id, {
        tag: 'notification',
        attrs: { from: S_WHATSAPP_NET, type: 'mex', id: messageId(), t: now() },
        content: [{ tag: 'update', attrs: { op_name: opName }, content: body }],
      });
    }
  }

  /** What `phone` received, decrypted, in arrival order. */
  received(phone: string): ReceivedMessage[] {
    return [...this.user(phone).received];
  }

  /** Resolves with the first received message of `phone` matching `predicate`, or rejects after `timeoutMs`. */
  async waitForReceived(phone: string, predicate: (m: ReceivedMessage) => boolean, timeoutMs = 5000): Promise<ReceivedMessage> {
    const user = this.user(phone);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = user.received.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${phone} received no matching message within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

function normalisePhone(phone: string): string {
  return phone.replace(/\D/g, '');
}

function now(): string {
  return String(Math.floor(Date.now() / 1000));
}

function messageId(): string {
  return `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
}

function nodeChildren(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : [];
}

function firstChild(node: BinaryNode | undefined): BinaryNode | undefined {
  return nodeChildren(node)[0];
}

function childOf(node: BinaryNode | undefined, tag: string): BinaryNode | undefined {
  return nodeChildren(node).find((c) => c.tag === tag);
}

function childBuffer(b: Baileys, node: BinaryNode | undefined, tag: string): Buffer {
  const content = b.getBinaryNodeChildBuffer(node, tag);
  if (!content) throw new Error(`missing <${tag}>`);
  return Buffer.from(content);
}

function readSignedPreKey(b: Baileys, skey: BinaryNode | undefined) {
  return {
    keyId: b.getBinaryNodeChildUInt(skey!, 'id', 3)!,
    publicKey: childBuffer(b, skey, 'value'),
    signature: childBuffer(b, skey, 'signature'),
  };
}

function iqError(node: BinaryNode, code: number, text: string): BinaryNode {
  return { tag: 'iq', attrs: { id: node.attrs.id, type: 'error', from: S_WHATSAPP_NET }, content: [{ tag: 'error', attrs: { code: String(code), text } }] };
}

function messageType(message: ProtoMessage): string {
  if (message.reactionMessage) return 'reaction';
  if (message.pollCreationMessageV3 || message.pollCreationMessage) return 'poll';
  return mediaKind(message) ? 'media' : 'text';
}

function mediaKind(message: ProtoMessage): string | undefined {
  if (message.imageMessage) return 'image';
  if (message.videoMessage) return 'video';
  if (message.audioMessage) return message.audioMessage.ptt ? 'ptt' : 'audio';
  if (message.documentMessage) return 'document';
  if (message.stickerMessage) return 'sticker';
  if (message.locationMessage) return 'location';
  if (message.contactMessage) return 'vcard';
  return undefined;
}
