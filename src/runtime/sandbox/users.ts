/**
 * sandbox/users: the simulated WhatsApp accounts. Every user has a phone number, a LID, a push name and a phone
 * (device 0, a Signal endpoint). The account our runtime links to is a user like any other, with linked devices.
 */
import type { Baileys } from '../whatsapp/baileys';
import { randomBytes } from 'node:crypto';
import type { Connection } from './connection';
import type { KeyPair } from './noise';
import { PhoneEndpoint, type BinaryNode, type PhoneState, type PreKeyBundle, type ProtoMessage } from './phone';

export interface ChatState {
  /** Phone-number JID of who is typing or recording. */
  from: string;
  state: 'composing' | 'recording' | 'paused';
  at: number;
}

/** A chat's settings as the account's linked devices last set them through app-state patches. */
export interface ChatSettings {
  archived?: boolean;
  /** Mute end in ms since the epoch; -1 is "always", 0 is unmuted. */
  mutedUntil?: number;
  pinned?: boolean;
  read?: boolean;
  deletedForMe?: string[];
}

export interface BusinessProfile {
  description: string;
  category?: string;
  email?: string;
  website?: string;
  address?: string;
}

/** A fresh app-state key for a new simulated account. */
export function newAppStateKey(): { id: Uint8Array; data: Uint8Array } {
  return { id: randomBytes(6), data: randomBytes(32) };
}

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

/** A user as kept across restarts of the in-process simulator (what linking and encryption need). */
export interface UserState {
  pn: string;
  lid: string;
  name: string;
  about: string;
  accountKey: KeyPair;
  appStateKey: { id: Uint8Array; data: Uint8Array };
  nextDeviceId: number;
  phone: PhoneState;
  devices: (Omit<LinkedDevice, 'connection' | 'preKeys' | 'unacked'> & { preKeys: [number, Uint8Array][] })[];
  blocklist: string[];
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
  /** Privacy tokens (trusted_contact) this user's devices issued to contacts, in order: WhatsApp sends one after a first message. */
  readonly issuedPrivacyTokens: { jid: string; t: string }[] = [];
  /** Typing and recording indications other users sent this user, in arrival order. */
  readonly chatStates: ChatState[] = [];
  /** Chat settings (archive, mute, pin, read) the user's linked devices set, by chat JID. */
  readonly chatSettings = new Map<string, ChatSettings>();
  /** The app-state key the phone shares with linked devices. */
  readonly appStateKey: { id: Uint8Array; data: Uint8Array };
  private nextDeviceId: number;

  constructor(
    b: Baileys,
    readonly pn: string,
    readonly lid: string,
    public name: string,
    restored?: UserState,
  ) {
    this.phone = new PhoneEndpoint(b, restored?.phone);
    this.accountKey = restored?.accountKey ?? b.Curve.generateKeyPair();
    this.appStateKey = restored?.appStateKey ?? newAppStateKey();
    this.nextDeviceId = restored?.nextDeviceId ?? 1;
    if (restored) {
      this.about = restored.about;
      for (const jid of restored.blocklist) this.blocklist.add(jid);
      for (const device of restored.devices) this.devices.set(device.id, { ...device, preKeys: new Map(device.preKeys), unacked: new Map() });
    }
  }

  static restore(b: Baileys, state: UserState): SimUser {
    return new SimUser(b, state.pn, state.lid, state.name, state);
  }

  state(): UserState {
    return {
      pn: this.pn,
      lid: this.lid,
      name: this.name,
      about: this.about,
      accountKey: this.accountKey,
      appStateKey: this.appStateKey,
      nextDeviceId: this.nextDeviceId,
      phone: this.phone.state(),
      // what a device did not acknowledge is sent again after a restart, as WhatsApp would
      devices: [...this.devices.values()].map(({ connection: _connection, preKeys, unacked, ...device }) => ({
        ...device,
        preKeys: [...preKeys],
        offlineQueue: [...[...unacked.values()].map((sent) => sent.node), ...device.offlineQueue],
      })),
      blocklist: [...this.blocklist],
    };
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
