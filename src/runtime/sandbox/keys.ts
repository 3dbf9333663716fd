/**
 * sandbox/keys: the Signal key service: prekey uploads and counts, prekey bundles handed out (one-time prekeys are
 * used up as on WhatsApp), and usync contact, LID, device and status queries.
 */
import type { Connection } from './connection';
import { bundleNode, type BinaryNode } from './phone';
import { childBuffer, childOf, firstChild, messageId, nodeChildren, normalisePhone, now, readSignedPreKey, S_WHATSAPP_NET, type SimHost } from './wire';

export class KeyServer {
  constructor(private readonly host: SimHost) {}

  onEncryptIq(conn: Connection, node: BinaryNode, result: (content?: BinaryNode[]) => BinaryNode): BinaryNode {
    const { b } = this.host;
    const device = this.host.deviceOf(conn);
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
  takeBundle(jid: string) {
    const decoded = this.host.b.jidDecode(jid);
    const user = decoded && this.host.findUser(jid);
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

  onUsync(usync: BinaryNode | undefined): BinaryNode {
    const query = childOf(usync, 'query');
    const protocols = nodeChildren(query).map((p) => p.tag);
    const list = nodeChildren(childOf(usync, 'list')).flatMap((userNode) => {
      const contactNode = childOf(userNode, 'contact');
      const asked = userNode.attrs.jid ?? (contactNode?.content ? Buffer.from(contactNode.content as Uint8Array).toString() : '');
      const user = this.host.findUser(asked);
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
}
