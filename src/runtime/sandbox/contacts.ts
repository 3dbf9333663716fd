/**
 * sandbox/contacts: what simulated contacts do with their phones: send direct and group messages (by phone number
 * or LID, decryptable or not), encrypt again on a retry receipt, vote on polls, read messages.
 */
import type { Connection } from './connection';
import type { GroupDirectory } from './groups';
import type { KeyServer } from './keys';
import { pollVote } from './messages';
import type { BinaryNode, ProtoMessage } from './phone';
import type { Router } from './routing';
import { corruptCiphertext } from './undecryptable';
import type { SimUser } from './users';
import { childOf, mediaKind, messageId, messageType, now, type SendOptions, type SimHost } from './wire';

export class ContactPhones {
  /** Undecryptable messages whose plaintext the sender's phone keeps for retry receipts, by id. */
  private readonly retryable = new Map<string, { sender: SimUser; target: SimUser; message: ProtoMessage; options: SendOptions; retries: { device: number; count: number }[] }>();

  constructor(
    private readonly host: SimHost,
    private readonly keys: KeyServer,
    private readonly router: Router,
    private readonly groups: GroupDirectory,
  ) {}

  /**
   * `from` sends `message` to every linked device of `to` (Signal-encrypted per device). Returns the message id.
   * `undecryptable`: the ciphertext fails to decrypt ("Bad MAC"); the sender's phone sends it again, decryptable,
   * when a device answers with a retry receipt (behaviour `resendOnRetry`). `addressing: 'lid'` sends it from the
   * sender's LID, as WhatsApp mostly does since its LID migration, with (`withPhoneNumber`, default) or without the
   * sender's phone number beside it.
   */
  async sendMessage(from: string, to: string, message: ProtoMessage, options: SendOptions = {}): Promise<string> {
    const sender = this.host.user(from);
    const target = this.host.user(to);
    const id = options.id ?? messageId();
    for (const device of target.devices.values()) await this.sendToDevice(sender, target, device.id, id, message, options);
    if (options.undecryptable) this.retryable.set(id, { sender, target, message, options, retries: [] });
    return id;
  }

  async sendToDevice(sender: SimUser, target: SimUser, deviceId: number, id: string, message: ProtoMessage, options: SendOptions): Promise<void> {
    const deviceJid = `${target.lid}:${deviceId}@lid`;
    const type = messageType(message);
    const encrypted = await sender.phone.encrypt(deviceJid, message, () => this.keys.takeBundle(deviceJid));
    this.host.changed();
    const ciphertext = options.undecryptable ? corruptCiphertext(encrypted.type as 'pkmsg' | 'msg', encrypted.ciphertext) : encrypted.ciphertext;
    const address: Record<string, string> = options.addressing === 'lid'
      ? { from: sender.lidJid, addressing_mode: 'lid', ...(options.withPhoneNumber !== false && { sender_pn: sender.pnJid }) }
      : { from: sender.pnJid, sender_lid: sender.lidJid };
    this.router.deliver(target, deviceId, {
      tag: 'message',
      attrs: { ...address, id, t: now(), type, notify: sender.name },
      content: [{ tag: 'enc', attrs: { v: '2', type: encrypted.type, ...(type === 'media' && { mediatype: mediaKind(message)! }) }, content: ciphertext }],
    });
  }

  /** A retry receipt: the sender's phone encrypts the message again for the device that could not decrypt it. */
  async onRetryReceipt(conn: Connection, node: BinaryNode): Promise<void> {
    const pending = this.retryable.get(node.attrs.id);
    const device = this.host.deviceOf(conn);
    if (!pending || !device) return;
    pending.retries.push({ device: device.id, count: Number(childOf(node, 'retry')?.attrs.count ?? 1) });
    if (this.host.behaviour.resendOnRetry) await this.sendToDevice(pending.sender, pending.target, device.id, node.attrs.id, pending.message, { ...pending.options, undecryptable: false });
  }

  /** The retry receipts linked devices sent for an undecryptable message `id`. */
  retryReceipts(id: string): { device: number; count: number }[] {
    return [...(this.retryable.get(id)?.retries ?? [])];
  }

  /** `from` (a simulated member) sends `message` to a group: sender-key encrypted, with the key distributed per device. */
  async sendGroupMessage(from: string, groupJid: string, message: ProtoMessage, options: { id?: string } = {}): Promise<string> {
    const sender = this.host.user(from);
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
      this.router.recordReceived(member, { id, from: sender.pnJid, chat: jid, timestamp: Number(now()), message });
      for (const device of member.devices.values()) {
        const deviceJid = `${member.lid}:${device.id}@lid`;
        const enc = await sender.phone.encrypt(deviceJid, distribution, () => this.keys.takeBundle(deviceJid));
        this.router.deliver(member, device.id, {
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
    const user = this.host.user(voter);
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

  /** `from` tells `to` that it read (or played) the given messages that `to` sent it. */
  markRead(from: string, to: string, ids: string[], type: 'read' | 'played' = 'read'): void {
    const reader = this.host.user(from);
    for (const id of ids) this.router.sendReceipt(this.host.user(to), reader.pnJid, id, type);
  }
}
