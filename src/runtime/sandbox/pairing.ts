/**
 * sandbox/pairing: linking a client as a new device of an account: the QR refs, the phone scanning a QR (with the
 * `companion_reg_refresh` WhatsApp sends since 2026-07-28), the pairing-code exchange (with its platform check and
 * empty notices), pair-success and the device's signature, then the 515 restart.
 */
import { randomBytes } from 'node:crypto';
import type { ClientPayload, Connection } from './connection';
import { verifyCurveSignature } from '../whatsapp/signatures';
import type { KeyPair } from './noise';
import type { BinaryNode } from './phone';
import type { SimUser } from './users';
import { childBuffer, iqError, messageId, normalisePhone, now, S_WHATSAPP_NET, type ScanResult, type SimHost } from './wire';

/** What the server accepts as a pairing-code platform display. */
const STANDARD_PLATFORM_DISPLAY = /^(Chrome|Edge|Firefox|IE|Opera|Safari) \((Windows|Mac OS|Linux)\)$/;

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

export class Pairing {
  private readonly pending = new Map<Connection, PendingRegistration>();
  private readonly pairing = new Map<Connection, PairingInProgress>();

  constructor(
    private readonly host: SimHost,
    private readonly qrRefs: number,
  ) {}

  /** A client without credentials gets its QR refs; false for a client that logs in. */
  register(conn: Connection, payload: ClientPayload): boolean {
    if (!payload.devicePairingData) return false;
    {
      const refs = Array.from({ length: this.qrRefs }, () => randomBytes(16).toString('base64url'));
      const props = payload.devicePairingData.deviceProps;
      const label = props ? (this.host.b.proto.DeviceProps.decode(props).os ?? undefined) : undefined;
      this.pending.set(conn, { connection: conn, refs, label, retiredSecrets: new Set() });
      conn.send({
        tag: 'iq',
        attrs: { from: S_WHATSAPP_NET, type: 'set', id: messageId(), xmlns: 'md' },
        content: [{ tag: 'pair-device', attrs: {}, content: refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }],
      });
      return true;
    }
  }

  forget(conn: Connection): void {
    this.pending.delete(conn);
    this.pairing.delete(conn);
  }

  /** `md` IQs of the pairing-code exchange; answers whether it handled `node`. */
  onLinkCodeIq(conn: Connection, node: BinaryNode, child: BinaryNode | undefined, result: (content?: BinaryNode[]) => BinaryNode): boolean {
    const { b } = this.host;
    if (node.attrs.xmlns !== 'md' || child?.tag !== 'link_code_companion_reg') return false;
    {
      if (child.attrs.stage === 'companion_hello') {
        const registration = this.pending.get(conn);
        const display = b.getBinaryNodeChildString(child, 'companion_platform_display') ?? '';
        if (this.host.behaviour.strictPlatformDisplay && !STANDARD_PLATFORM_DISPLAY.test(display)) {
          conn.send(iqError(node, 400, 'bad-request'));
          return true;
        }
        if (registration) {
          registration.linkCode = {
            phone: normalisePhone(b.jidDecode(child.attrs.jid)?.user ?? ''),
            wrappedEphemeral: childBuffer(b, child, 'link_code_pairing_wrapped_companion_ephemeral_pub'),
            ref: randomBytes(32),
          };
        }
        conn.send(result([{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: registration?.linkCode?.ref ?? Buffer.alloc(0) }] }]));
        if (this.host.behaviour.emptyLinkCodeNotices) {
          conn.send({ tag: 'notification', attrs: { from: S_WHATSAPP_NET, type: 'link_code_companion_reg', id: messageId(), t: now() }, content: [{ tag: 'link_code_companion_reg', attrs: { stage: 'refresh_code' } }] });
        }
      } else if (child.attrs.stage === 'companion_finish') {
        this.onCompanionFinish(conn, node, child);
      }
      return true;
    }
  }

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
    if (this.host.behaviour.qrRefresh && registration.retiredSecrets.size === 0) {
      registration.retiredSecrets.add(advB64);
      registration.connection.send({
        tag: 'notification',
        attrs: { from: S_WHATSAPP_NET, type: 'companion_reg_refresh', id: messageId(), t: now() },
        content: [{ tag: 'companion_reg_refresh', attrs: {} }],
      });
      return 'refreshed';
    }
    const user = this.host.findUser(phone) ?? this.host.createUser({ phone });
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
    const { b } = this.host;
    const pn = normalisePhone(phone);
    const deadline = Date.now() + timeoutMs;
    let registration = this.pendingLinkCode(pn);
    while (!registration) {
      if (Date.now() > deadline) throw new Error(`no client is waiting for a pairing code for ${pn}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      registration = this.pendingLinkCode(pn);
    }
    const user = this.host.findUser(pn) ?? this.host.createUser({ phone: pn });
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

  onCompanionFinish(conn: Connection, node: BinaryNode, reg: BinaryNode): void {
    const { b } = this.host;
    const registration = this.pending.get(conn);
    const link = registration?.linkCode;
    if (!link?.primaryEphemeral || !link.companionEphemeral) {
      conn.send(iqError(node, 400, 'bad-request'));
      return;
    }
    const user = this.host.user(link.phone);
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
    const { b } = this.host;
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
  onPairDeviceSign(conn: Connection, sign: BinaryNode): void {
    const { b } = this.host;
    const pairing = this.pairing.get(conn);
    if (!pairing || !conn.clientStatic) return;
    const label = this.pending.get(conn)?.label;
    this.pairing.delete(conn);
    this.pending.delete(conn);
    const account = b.proto.ADVSignedDeviceIdentity.decode(childBuffer(b, sign, 'device-identity'));
    const signedMessage = Buffer.concat([Buffer.from([6, 1]), account.details!, pairing.identityKey, pairing.user.accountKey.public]);
    if (!account.deviceSignature || !verifyCurveSignature(pairing.identityKey, signedMessage, account.deviceSignature)) {
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
}
