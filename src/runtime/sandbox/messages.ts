/**
 * sandbox/messages: builders for the messages a simulated contact can send (text, reply, reaction, edit, delete,
 * location, contact card, poll), as the protobuf `Message` WhatsApp clients exchange.
 */
import { createHash, createHmac, randomBytes, createCipheriv } from 'node:crypto';
import type { ProtoMessage } from './phone';

/** Which message a reaction, edit, delete or reply points at, seen from the sender's side. */
export interface MessageRef {
  /** The chat as the sender addresses it (the other party's JID in a direct chat, or the group). */
  remoteJid: string;
  id: string;
  /** True when the referenced message was sent by the sender itself. */
  fromMe: boolean;
  /** Author of the referenced message, for groups and quotes. */
  participant?: string;
}

export const buildMessage = {
  text(text: string): ProtoMessage {
    return { conversation: text };
  },
  reply(text: string, quoted: MessageRef & { message: ProtoMessage }): ProtoMessage {
    return {
      extendedTextMessage: {
        text,
        contextInfo: { stanzaId: quoted.id, participant: quoted.participant ?? quoted.remoteJid, quotedMessage: quoted.message },
      },
    };
  },
  reaction(target: MessageRef, emoji: string): ProtoMessage {
    return { reactionMessage: { key: refKey(target), text: emoji, senderTimestampMs: Date.now() } };
  },
  edit(target: MessageRef, text: string): ProtoMessage {
    return { protocolMessage: { key: refKey(target), type: 14, editedMessage: { conversation: text }, timestampMs: Date.now() } };
  },
  revoke(target: MessageRef): ProtoMessage {
    return { protocolMessage: { key: refKey(target), type: 0 } };
  },
  location(latitude: number, longitude: number, name?: string, address?: string): ProtoMessage {
    return { locationMessage: { degreesLatitude: latitude, degreesLongitude: longitude, name, address } };
  },
  contactCard(displayName: string, phone: string): ProtoMessage {
    const digits = phone.replace(/\D/g, '');
    const vcard = `BEGIN:VCARD\nVERSION:3.0\nFN:${displayName}\nTEL;type=CELL;waid=${digits}:+${digits}\nEND:VCARD`;
    return { contactMessage: { displayName, vcard } };
  },
  poll(name: string, options: string[], selectableCount = 1): ProtoMessage {
    return {
      pollCreationMessageV3: { name, options: options.map((optionName) => ({ optionName })), selectableOptionsCount: selectableCount },
      messageContextInfo: { messageSecret: randomBytes(32) },
    };
  },
};

/**
 * A vote on a poll, encrypted with the poll's secret as WhatsApp clients do: the key is derived from the poll id,
 * the creator's and the voter's JIDs; the payload is the SHA-256 of each chosen option's name.
 */
export function pollVote(input: { poll: MessageRef; pollCreatorJid: string; voterJid: string; secret: Uint8Array; options: string[] }): ProtoMessage {
  const { poll, pollCreatorJid, voterJid, secret } = input;
  const sign = Buffer.concat([Buffer.from(poll.id), Buffer.from(pollCreatorJid), Buffer.from(voterJid), Buffer.from('Poll Vote'), Buffer.from([1])]);
  const key0 = createHmac('sha256', Buffer.alloc(32)).update(secret).digest();
  const key = createHmac('sha256', key0).update(sign).digest();
  const selectedOptions = input.options.map((name) => createHash('sha256').update(name).digest());
  const plain = encodePollVoteMessage(selectedOptions);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${poll.id}\u0000${voterJid}`));
  const encPayload = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return { pollUpdateMessage: { pollCreationMessageKey: refKey(poll), vote: { encPayload, encIv: iv }, senderTimestampMs: Date.now() } };
}

/** protobuf `PollVoteMessage { repeated bytes selectedOptions = 1; }` */
function encodePollVoteMessage(options: Buffer[]): Buffer {
  return Buffer.concat(options.flatMap((o) => [Buffer.from([0x0a, o.length]), o]));
}

function refKey(ref: MessageRef) {
  return { remoteJid: ref.remoteJid, fromMe: ref.fromMe, id: ref.id, ...(ref.participant && { participant: ref.participant }) };
}
