/**
 * sandbox/wire: what every part of the simulator shares: the behaviours of the real service it models, the binary
 * node helpers, and `SimHost`, what a part may ask of the server (its users, their devices, a change to save).
 */
import { randomBytes } from 'node:crypto';
import type { Baileys } from '../whatsapp/baileys';
import type { Connection } from './connection';
import type { BinaryNode, ProtoMessage } from './phone';
import type { LinkedDevice, SimUser } from './users';

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

export const S_WHATSAPP_NET = 's.whatsapp.net';

export interface SimHost {
  readonly b: Baileys;
  readonly behaviour: RealServerBehaviours;
  findUser(phoneOrJid: string): SimUser | undefined;
  user(phoneOrJid: string): SimUser;
  users(): SimUser[];
  createUser(input: { phone: string; name?: string }): SimUser;
  /** The linked device (and its user) a logged-in connection belongs to. */
  deviceOf(conn: Connection): LinkedDevice | undefined;
  userOf(conn: Connection): SimUser | undefined;
  /** Something `state()` covers changed. */
  changed(): void;
}

export function normalisePhone(phone: string): string {
  return phone.replace(/\D/g, '');
}

export function now(): string {
  return String(Math.floor(Date.now() / 1000));
}

export function messageId(): string {
  return `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
}

export function nodeChildren(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : [];
}

export function firstChild(node: BinaryNode | undefined): BinaryNode | undefined {
  return nodeChildren(node)[0];
}

export function childOf(node: BinaryNode | undefined, tag: string): BinaryNode | undefined {
  return nodeChildren(node).find((c) => c.tag === tag);
}

export function childBuffer(b: Baileys, node: BinaryNode | undefined, tag: string): Buffer {
  const content = b.getBinaryNodeChildBuffer(node, tag);
  if (!content) throw new Error(`missing <${tag}>`);
  return Buffer.from(content);
}

export function readSignedPreKey(b: Baileys, skey: BinaryNode | undefined) {
  return {
    keyId: b.getBinaryNodeChildUInt(skey!, 'id', 3)!,
    publicKey: childBuffer(b, skey, 'value'),
    signature: childBuffer(b, skey, 'signature'),
  };
}

export function iqError(node: BinaryNode, code: number, text: string): BinaryNode {
  return { tag: 'iq', attrs: { id: node.attrs.id, type: 'error', from: S_WHATSAPP_NET }, content: [{ tag: 'error', attrs: { code: String(code), text } }] };
}

export function messageType(message: ProtoMessage): string {
  if (message.reactionMessage) return 'reaction';
  if (message.pollCreationMessageV3 || message.pollCreationMessage) return 'poll';
  return mediaKind(message) ? 'media' : 'text';
}

export function mediaKind(message: ProtoMessage): string | undefined {
  if (message.imageMessage) return 'image';
  if (message.videoMessage) return 'video';
  if (message.audioMessage) return message.audioMessage.ptt ? 'ptt' : 'audio';
  if (message.documentMessage) return 'document';
  if (message.stickerMessage) return 'sticker';
  if (message.locationMessage) return 'location';
  if (message.contactMessage) return 'vcard';
  return undefined;
}
