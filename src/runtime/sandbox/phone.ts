/**
 * sandbox/phone: a simulated user's own phone (device 0) as a Signal endpoint, built from Baileys' own signal
 * repository over an in-memory key store. It decrypts what linked devices send it and encrypts what it sends them.
 */
import pino from 'pino';
import type { Baileys } from '../whatsapp/baileys';
import type { KeyPair } from './noise';

export type BinaryNode = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BinaryNode;
export type ProtoMessage = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).proto.IMessage;
type SignalRepository = ReturnType<Baileys['DEFAULT_CONNECTION_CONFIG']['makeSignalRepository']>;

/** What a device publishes so others can start a Signal session with it. */
export interface PreKeyBundle {
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
  preKey?: { keyId: number; publicKey: Uint8Array };
}

const silent = pino({ level: 'silent' });

type AuthenticationCreds = ReturnType<Baileys['initAuthCreds']>;

/** Everything a phone knows, to keep it across restarts (Signal identity, prekeys, sessions). */
export interface PhoneState {
  creds: AuthenticationCreds;
  data: [string, unknown][];
  nextPreKey: number;
}

export class PhoneEndpoint {
  readonly creds: AuthenticationCreds;
  private readonly repo: SignalRepository;
  private readonly data: Map<string, unknown>;
  private nextPreKey: number;

  constructor(
    private readonly b: Baileys,
    state?: PhoneState,
  ) {
    this.creds = state?.creds ?? b.initAuthCreds();
    this.data = new Map(state?.data);
    this.nextPreKey = state?.nextPreKey ?? 1;
    const store = memoryKeyStore(this.data);
    const keys = b.addTransactionCapability(store as never, silent, { maxCommitRetries: 1, delayBetweenTriesMs: 1 });
    this.repo = b.DEFAULT_CONNECTION_CONFIG.makeSignalRepository({ creds: this.creds, keys }, silent, async () => []);
  }

  state(): PhoneState {
    return { creds: this.creds, data: [...this.data], nextPreKey: this.nextPreKey };
  }

  /** Hands out a fresh one-time prekey with the signed prekey, as the server does for a phone. */
  bundle(): PreKeyBundle {
    const keyId = this.nextPreKey;
    this.nextPreKey = (this.nextPreKey % 0xfffffe) + 1;
    const pair: KeyPair = this.b.Curve.generateKeyPair();
    this.data.set(`pre-key:${keyId}`, pair);
    return {
      registrationId: this.creds.registrationId,
      identityKey: this.creds.signedIdentityKey.public,
      signedPreKey: {
        keyId: this.creds.signedPreKey.keyId,
        publicKey: this.creds.signedPreKey.keyPair.public,
        signature: this.creds.signedPreKey.signature,
      },
      preKey: { keyId, publicKey: pair.public },
    };
  }

  async decrypt(fromJid: string, type: 'pkmsg' | 'msg', ciphertext: Uint8Array): Promise<ProtoMessage> {
    const plain = await this.repo.decryptMessage({ jid: fromJid, type, ciphertext });
    return this.b.proto.Message.decode(this.b.unpadRandomMax16(plain));
  }

  /** Encrypts for a linked device; `bundle` is used to start the session when there is none yet. */
  async encrypt(toJid: string, message: ProtoMessage, bundle: () => PreKeyBundle | undefined) {
    const { exists } = await this.repo.validateSession(toJid);
    if (!exists) {
      const session = bundle();
      if (!session) throw new Error(`no prekey bundle for ${toJid}`);
      await this.repo.injectE2ESession({
        jid: toJid,
        session: {
          registrationId: session.registrationId,
          identityKey: this.b.generateSignalPubKey(session.identityKey),
          signedPreKey: { ...session.signedPreKey, publicKey: this.b.generateSignalPubKey(session.signedPreKey.publicKey) },
          preKey: session.preKey && { ...session.preKey, publicKey: this.b.generateSignalPubKey(session.preKey.publicKey) },
        },
      });
    }
    return this.repo.encryptMessage({ jid: toJid, data: this.b.encodeWAMessage(message) });
  }

  async encryptGroup(group: string, meId: string, message: ProtoMessage) {
    return this.repo.encryptGroupMessage({ group, meId, data: this.b.encodeWAMessage(message) });
  }

  async decryptGroup(group: string, authorJid: string, ciphertext: Uint8Array): Promise<ProtoMessage> {
    const plain = await this.repo.decryptGroupMessage({ group, authorJid, msg: ciphertext });
    return this.b.proto.Message.decode(this.b.unpadRandomMax16(plain));
  }

  async processSenderKey(authorJid: string, item: NonNullable<ProtoMessage['senderKeyDistributionMessage']>): Promise<void> {
    await this.repo.processSenderKeyDistributionMessage({ authorJid, item });
  }
}

/** The `<user>` node of an `encrypt get key` answer for one device. */
export function bundleNode(b: Baileys, jid: string, bundle: PreKeyBundle): BinaryNode {
  return {
    tag: 'user',
    attrs: { jid },
    content: [
      { tag: 'registration', attrs: {}, content: b.encodeBigEndian(bundle.registrationId) },
      { tag: 'type', attrs: {}, content: b.KEY_BUNDLE_TYPE },
      { tag: 'identity', attrs: {}, content: bundle.identityKey },
      {
        tag: 'skey',
        attrs: {},
        content: [
          { tag: 'id', attrs: {}, content: b.encodeBigEndian(bundle.signedPreKey.keyId, 3) },
          { tag: 'value', attrs: {}, content: bundle.signedPreKey.publicKey },
          { tag: 'signature', attrs: {}, content: bundle.signedPreKey.signature },
        ],
      },
      ...(bundle.preKey
        ? [{ tag: 'key', attrs: {}, content: [
            { tag: 'id', attrs: {}, content: b.encodeBigEndian(bundle.preKey.keyId, 3) },
            { tag: 'value', attrs: {}, content: bundle.preKey.publicKey },
          ] }]
        : []),
    ],
  };
}

/** A Signal key store in a Map (`<type>:<id>` keys); a null or undefined value deletes, as Baileys expects. */
export function memoryKeyStore(data: Map<string, unknown>) {
  return {
    get: async (type: string, ids: string[]) => {
      const out: Record<string, unknown> = {};
      for (const id of ids) {
        const value = data.get(`${type}:${id}`);
        if (value !== undefined) out[id] = value;
      }
      return out;
    },
    set: async (batch: Record<string, Record<string, unknown> | undefined>) => {
      for (const [type, entries] of Object.entries(batch)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) data.delete(`${type}:${id}`);
          else data.set(`${type}:${id}`, value);
        }
      }
    },
  };
}
