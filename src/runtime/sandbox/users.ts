/**
 * sandbox/users: the simulated WhatsApp accounts. Every user has a phone number, a LID, a push name and a phone
 * (device 0, a Signal endpoint). The account our runtime links to is a user like any other, with linked devices.
 */
import type { Baileys } from '../whatsapp/baileys';
import type { BusinessProfile, ChatSettings, ChatState } from './accounts';
import { newAppStateKey } from './accounts';
import type { Connection } from './connection';
import type { KeyPair } from './noise';
import { PhoneEndpoint, type BinaryNode, type PreKeyBundle, type ProtoMessage } from './phone';

/** A device linked by QR or pairing code: a Baileys client. */
export interface LinkedDevice {
  id: number;
  /** What the account's phone shows for the device under Linked Devices. */
  label?: string;
  /** The WhatsApp Web version the device announced at its last login. */
  appVersion?: string;
  noiseKey: Uint8Array;
  identityKey: Uint8Array;
  registrationId?: number;
  signedPreKey?: PreKeyBundle['signedPreKey'];
  preKeys: Map<number, Uint8Array>;
  /** How many prekey uploads the device made (the first login uploads, later ones must not). */
  preKeyUploads: number;
  /** How many one-time prekeys the device uploaded in all. */
  preKeysUploaded: number;
  /** Whether the phone already pushed the initial history notification to this device. */
  historySent: boolean;
  connection?: Connection;
  /** Nodes waiting for the device while it is offline; delivered at its next login. */
  offlineQueue: BinaryNode[];
  /** Messages sent to the device that it has not acknowledged yet (receipt or ack), by id: sent again at its next login. */
  unacked: Map<string, { node: BinaryNode; connection: number }>;
}

/** A message as a simulated user's phone received and decrypted it. */
export interface ReceivedMessage {
  id: string;
  /** Phone-number JID of the sender. */
  from: string;
  /** The chat it arrived in: the sender for direct messages, the group for group messages. */
  chat: string;
  timestamp: number;
  message: ProtoMessage;
  /** The text of a text, caption or extended text message, when there is one. */
  text?: string;
}

export class SimUser {
  readonly phone: PhoneEndpoint;
  /** The key the account signs its linked devices with (ADV account signature key). */
  readonly accountKey: KeyPair;
  readonly devices = new Map<number, LinkedDevice>();
  readonly received: ReceivedMessage[] = [];
  /** Whether this user's phone answers with a delivery receipt as soon as a message reaches it. */
  autoDeliveryReceipt = true;
  /** When set, WhatsApp refuses this user's direct messages with this ack error (463: restricted). */
  restriction?: number;
  /** How many more of this user's contact queries (usync) WhatsApp refuses with 429 rate-overlimit. */
  rateLimitedQueries = 0;
  online = true;
  about = 'Hey there! I am using WhatsApp.';
  picture?: { id: string; url: string; directPath: string; data: Buffer };
  /** Set for a business account. */
  business?: BusinessProfile;
  /** Phone-number JIDs this user blocked. */
  readonly blocklist = new Set<string>();
  /** Receipts other users' linked devices sent for this user's messages. */
  readonly receipts: { id: string; type: string; from: string }[] = [];
  /** Typing and recording indications other users sent this user, in arrival order. */
  readonly chatStates: ChatState[] = [];
  /** Chat settings (archive, mute, pin, read) the user's linked devices set, by chat JID. */
  readonly chatSettings = new Map<string, ChatSettings>();
  /** The app-state key the phone shares with linked devices. */
  readonly appStateKey = newAppStateKey();
  private nextDeviceId = 1;

  constructor(
    b: Baileys,
    readonly pn: string,
    readonly lid: string,
    public name: string,
  ) {
    this.phone = new PhoneEndpoint(b);
    this.accountKey = b.Curve.generateKeyPair();
  }

  get pnJid(): string {
    return `${this.pn}@s.whatsapp.net`;
  }

  get lidJid(): string {
    return `${this.lid}@lid`;
  }

  allocateDeviceId(): number {
    return this.nextDeviceId++;
  }
}
