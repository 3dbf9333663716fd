/**
 * sandbox/accounts: what WhatsApp keeps about an account besides messages: profile picture, about text, business
 * profile, blocklist, typing/recording chat states, and the app-state patches a linked device sends (archive,
 * mute, pin, mark read, push name), decrypted with the app-state key the phone shared. Tests read the effects here.
 */
import type { Baileys } from '../whatsapp/baileys';
import type { MediaHost } from './media';
import type { BinaryNode, ProtoMessage } from './phone';
import type { SimUser } from './users';

type Result = (content?: BinaryNode[]) => BinaryNode;
type IqError = (code: number, text: string) => BinaryNode;

export interface AccountHost {
  findUser(jidOrPhone: string): SimUser | undefined;
  media: MediaHost;
}

export class Accounts {
  constructor(
    private readonly b: Baileys,
    private readonly host: AccountHost,
  ) {}

  /** The app-state key share a phone sends a newly linked device (without it the device cannot send patches). */
  keyShare(owner: SimUser): ProtoMessage {
    return {
      protocolMessage: {
        type: this.b.proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
        appStateSyncKeyShare: {
          keys: [
            {
              keyId: { keyId: owner.appStateKey.id },
              keyData: { keyData: owner.appStateKey.data, fingerprint: { rawId: 1, currentIndex: 0, deviceIndexes: [0] }, timestamp: Date.now() },
            },
          ],
        },
      },
    };
  }

  /** Sets the picture other users see (also what a `w:profile:picture` get answers). */
  setPicture(user: SimUser, image: Buffer | undefined): void {
    user.picture = image ? { id: String(Date.now()), ...this.host.media.put(image), data: image } : undefined;
  }

  handleIq(actor: SimUser, node: BinaryNode, result: Result, error: IqError): BinaryNode | undefined {
    const child = firstChild(node);
    switch (node.attrs.xmlns) {
      case 'w:profile:picture':
        return this.onPictureIq(actor, node, child, result, error);
      case 'status':
        if (node.attrs.type === 'set' && child?.tag === 'status') {
          actor.about = Buffer.from((child.content as Uint8Array | undefined) ?? []).toString();
          return result();
        }
        return undefined;
      case 'w:biz':
        return this.onBusinessIq(child, result);
      case 'blocklist':
        return this.onBlocklistIq(actor, node, child, result, error);
      default:
        return undefined;
    }
  }

  /** A `chatstate` node from a linked device: recorded on the addressed user. */
  onChatState(actor: SimUser, node: BinaryNode): void {
    const target = node.attrs.to ? this.host.findUser(node.attrs.to) : undefined;
    const child = firstChild(node);
    if (!target || !child) return;
    const state = child.tag === 'composing' && child.attrs.media === 'audio' ? 'recording' : child.tag;
    if (state !== 'composing' && state !== 'recording' && state !== 'paused') return;
    target.chatStates.push({ from: actor.pnJid, state, at: Date.now() });
  }

  /** A `w:sync:app:state` set: each patch is decrypted with the account's key and applied to its chat settings. */
  async applyPatches(owner: SimUser, sync: BinaryNode | undefined): Promise<void> {
    const { b } = this;
    for (const collection of children(sync)) {
      for (const patchNode of children(collection).filter((c) => c.tag === 'patch')) {
        const patch = b.proto.SyncdPatch.decode(patchNode.content as Uint8Array);
        await b.decodeSyncdPatch(
          patch,
          collection.attrs.name as 'regular',
          b.newLTHashState(),
          async (keyId: string) => (keyId === Buffer.from(owner.appStateKey.id).toString('base64') ? b.proto.Message.AppStateSyncKeyData.fromObject({ keyData: owner.appStateKey.data }) : undefined) as never,
          (mutation) => this.applyMutation(owner, mutation.index, mutation.syncAction.value ?? {}),
          false,
        );
      }
    }
  }

  private applyMutation(owner: SimUser, index: string[], value: import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).proto.ISyncActionValue): void {
    const [kind, jid] = index;
    if (kind === 'setting_pushName' && value.pushNameSetting?.name) {
      owner.name = value.pushNameSetting.name;
      return;
    }
    if (!jid) return;
    const chat = owner.chatSettings.get(jid) ?? {};
    if (value.archiveChatAction) chat.archived = !!value.archiveChatAction.archived;
    if (value.muteAction) chat.mutedUntil = value.muteAction.muted ? Number(value.muteAction.muteEndTimestamp ?? -1) : 0;
    if (value.pinAction) chat.pinned = !!value.pinAction.pinned;
    if (value.markChatAsReadAction) chat.read = !!value.markChatAsReadAction.read;
    if (value.deleteMessageForMeAction && index[2]) chat.deletedForMe = [...(chat.deletedForMe ?? []), index[2]];
    owner.chatSettings.set(jid, chat);
  }

  private onPictureIq(actor: SimUser, node: BinaryNode, child: BinaryNode | undefined, result: Result, error: IqError): BinaryNode {
    if (node.attrs.type === 'set') {
      const image = child?.tag === 'picture' && child.content ? Buffer.from(child.content as Uint8Array) : undefined;
      this.setPicture(actor, image);
      return result(actor.picture ? [{ tag: 'picture', attrs: { id: actor.picture.id } }] : undefined);
    }
    const target = this.host.findUser(node.attrs.target ?? '');
    if (!target || target.blocklist.has(actor.pnJid) || !target.picture) return error(404, 'item-not-found');
    return result([{ tag: 'picture', attrs: { id: target.picture.id, type: child?.attrs.type ?? 'preview', url: target.picture.url, direct_path: target.picture.directPath } }]);
  }

  private onBusinessIq(child: BinaryNode | undefined, result: Result): BinaryNode {
    const asked = firstChild(child)?.attrs.jid ?? '';
    const target = this.host.findUser(asked);
    const profile = target?.business;
    if (!target || !profile) return result([{ tag: 'business_profile', attrs: {} }]);
    const text = (tag: string, value: string | undefined): BinaryNode[] => (value ? [{ tag, attrs: {}, content: Buffer.from(value) }] : []);
    return result([
      {
        tag: 'business_profile',
        attrs: {},
        content: [
          {
            tag: 'profile',
            attrs: { jid: target.pnJid },
            content: [
              ...text('description', profile.description),
              ...text('address', profile.address),
              ...text('website', profile.website),
              ...text('email', profile.email),
              ...(profile.category ? [{ tag: 'categories', attrs: {}, content: [{ tag: 'category', attrs: { id: '1' }, content: Buffer.from(profile.category) }] }] : []),
            ],
          },
        ],
      },
    ]);
  }

  private onBlocklistIq(actor: SimUser, node: BinaryNode, child: BinaryNode | undefined, result: Result, error: IqError): BinaryNode {
    if (node.attrs.type === 'get') {
      return result([{ tag: 'list', attrs: {}, content: [...actor.blocklist].map((jid): BinaryNode => ({ tag: 'item', attrs: { jid } })) }]);
    }
    const target = this.host.findUser(child?.attrs.pn_jid ?? child?.attrs.jid ?? '');
    if (!target) return error(404, 'item-not-found');
    if (child?.attrs.action === 'block') actor.blocklist.add(target.pnJid);
    else actor.blocklist.delete(target.pnJid);
    return result();
  }
}

function children(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : [];
}

function firstChild(node: BinaryNode | undefined): BinaryNode | undefined {
  return children(node)[0];
}
