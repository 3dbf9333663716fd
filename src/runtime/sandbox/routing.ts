/**
 * sandbox/routing: messages between devices: what a linked device sends (direct and group, decrypted by the
 * recipients' phones), delivery to devices with their offline queues and what they did not acknowledge, receipts,
 * and the phone's own traffic to its devices (initial history, app-state keys).
 */
import { deflateSync } from 'node:zlib';
import { textOf } from '../events/normalize';
import type { Accounts } from './accounts';
import type { Connection } from './connection';
import type { GroupDirectory } from './groups';
import type { KeyServer } from './keys';
import type { BinaryNode, ProtoMessage } from './phone';
import type { LinkedDevice, ReceivedMessage, SimUser } from './users';
import { childOf, messageId, nodeChildren, now, S_WHATSAPP_NET, type SimHost } from './wire';

export class Router {
  constructor(
    private readonly host: SimHost,
    private readonly keys: KeyServer,
    private readonly groups: GroupDirectory,
    private readonly accounts: Accounts,
  ) {}

  /** A device logged in: what waited for it goes out, marked as WhatsApp marks its offline queue. */
  flushOffline(device: LinkedDevice, conn: Connection): void {
    const queued = device.offlineQueue.splice(0);
    // WhatsApp marks stanzas replayed from the offline queue with an `offline` attribute
    for (const node of queued) this.sendTracked(device, conn, { ...node, attrs: { ...node.attrs, offline: '0' } });
    conn.send({ tag: 'ib', attrs: {}, content: [{ tag: 'offline', attrs: { count: String(queued.length) } }] });
  }

  /** A device's connection closed: what it did not acknowledge goes out again, in order. */
  requeue(device: LinkedDevice, conn: Connection): void {
    const unacked = [...device.unacked.values()].filter((sent) => sent.connection === conn.id).map((sent) => sent.node);
    for (const node of unacked) device.unacked.delete(node.attrs.id);
    const next = device.connection;
    if (next && !next.closed) for (const node of unacked) this.sendTracked(device, next, node);
    else device.offlineQueue.unshift(...unacked);
  }

  /** Queues or sends a node to one linked device of `user`. */
  deliver(user: SimUser, deviceId: number, node: BinaryNode): void {
    const device = user.devices.get(deviceId);
    if (!device) return;
    if (device.connection && !device.connection.closed) this.sendTracked(device, device.connection, node);
    else device.offlineQueue.push(node);
  }

  /** Sends a node on a device's connection; a message stays unacknowledged until the device's receipt or ack. */
  sendTracked(device: LinkedDevice, conn: Connection, node: BinaryNode): void {
    if (node.tag === 'message' && this.host.behaviour.redeliverUnacked) device.unacked.set(node.attrs.id, { node, connection: conn.id });
    conn.send(node);
  }

  /** A receipt or ack from a linked device: the messages it names are acknowledged and never sent again. */
  onAcknowledged(conn: Connection, node: BinaryNode): void {
    const device = this.host.deviceOf(conn);
    if (!device || node.attrs.type === 'retry') return;
    for (const id of [node.attrs.id, ...nodeChildren(childOf(node, 'list')).map((item) => item.attrs.id)]) if (id) device.unacked.delete(id);
  }

  /** A message from a linked device: acknowledged, then each addressed device gets its copy. */
  async onMessage(conn: Connection, node: BinaryNode): Promise<void> {
    const { b } = this.host;
    const sender = this.host.userOf(conn);
    const senderDevice = this.host.deviceOf(conn);
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
      const target = this.host.findUser(jid);
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
  async onGroupMessage(sender: SimUser, senderDevice: LinkedDevice, senderJid: string, node: BinaryNode): Promise<void> {
    const { b } = this.host;
    const group = this.groups.get(node.attrs.to);
    const skmsg = nodeChildren(node).find((c) => c.tag === 'enc' && c.attrs.type === 'skmsg');
    if (!group || !skmsg?.content) return;
    const author = `${sender.pn}:${senderDevice.id}@${S_WHATSAPP_NET}`;
    const copies = new Map<string, BinaryNode>();
    for (const to of nodeChildren(childOf(node, 'participants'))) {
      const enc = childOf(to, 'enc');
      const target = this.host.findUser(to.attrs.jid);
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

  recordReceived(user: SimUser, entry: Omit<ReceivedMessage, 'text'>): void {
    user.received.push({ ...entry, text: textOf(entry.message) });
  }

  sendReceipt(toUser: SimUser, chatJid: string, id: string, type?: 'read' | 'played'): void {
    for (const device of toUser.devices.values()) {
      this.deliver(toUser, device.id, { tag: 'receipt', attrs: { from: chatJid, id, t: now(), ...(type && { type }) } });
    }
  }

  /** Receipts (read, played) a linked device sent for messages of another user: recorded on that user. */
  onReceiptStanza(conn: Connection, node: BinaryNode): void {
    const reader = this.host.userOf(conn);
    const target = node.attrs.to && !node.attrs.to.endsWith('@g.us') ? this.host.findUser(node.attrs.to) : node.attrs.participant ? this.host.findUser(node.attrs.participant) : undefined;
    if (!reader || !target || target === reader) return;
    const ids = [node.attrs.id, ...nodeChildren(childOf(node, 'list')).map((item) => item.attrs.id)].filter(Boolean);
    for (const id of ids) target.receipts.push({ id, type: node.attrs.type ?? 'delivery', from: reader.pnJid });
  }

  /** Receipts the account's linked devices sent for messages `phone` sent. */
  receipts(phone: string): { id: string; type: string; from: string }[] {
    return [...this.host.user(phone).receipts];
  }

  /** What `phone` received, decrypted, in arrival order. */
  received(phone: string): ReceivedMessage[] {
    return [...this.host.user(phone).received];
  }

  /** Resolves with the first received message of `phone` matching `predicate`, or rejects after `timeoutMs`. */
  async waitForReceived(phone: string, predicate: (m: ReceivedMessage) => boolean, timeoutMs = 5000): Promise<ReceivedMessage> {
    const user = this.host.user(phone);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = user.received.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${phone} received no matching message within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * What the primary phone does after linking a device: a history sync notification (an empty initial bootstrap
   * with the push names it knows, inline), so the client leaves its "awaiting initial sync" state at once.
   */
  async sendInitialHistory(owner: SimUser, device: LinkedDevice): Promise<void> {
    const { b } = this.host;
    const { HistorySync } = b.proto;
    const history = HistorySync.encode({
      syncType: HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
      conversations: [],
      pushnames: this.host.users().filter((u) => u !== owner).map((u) => ({ id: u.pnJid, pushname: u.name })),
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
  async sendToOwnDevice(owner: SimUser, device: LinkedDevice, message: ProtoMessage): Promise<void> {
    const deviceJid = `${owner.lid}:${device.id}@lid`;
    const enc = await owner.phone.encrypt(deviceJid, message, () => this.keys.takeBundle(deviceJid));
    this.deliver(owner, device.id, {
      tag: 'message',
      attrs: { from: owner.pnJid, id: messageId(), t: now(), type: 'text', category: 'peer' },
      content: [{ tag: 'enc', attrs: { v: '2', type: enc.type }, content: enc.ciphertext }],
    });
  }
}
