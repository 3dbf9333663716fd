/**
 * whatsapp/pairing: linking as the real WhatsApp of late 2026 expects it, over the pinned rc14 (which predates it).
 * Listeners on the socket's WebSocket and our own pairing-code request, not a patch of Baileys' files: the runtime
 * is installed as a dependency (into n8n, by npx), where a postinstall patch of a hoisted package is not reliable.
 * Each difference is recorded in docs/whatsapp-compatibility.md.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Baileys } from './baileys';

type WASocket = ReturnType<Baileys['makeWASocket']>;
type BinaryNode = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BinaryNode;

/** WhatsApp refused a pairing-code request; `code` and `text` are its own (400 bad-request for a bad display). */
export class PairingRejectedError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(`WhatsApp refused the pairing-code request: ${code} ${text}`);
  }
}

/** The QR string with its ADV secret (the fourth field) replaced. */
export function withAdvSecret(qr: string, advSecretB64: string): string {
  const hash = qr.indexOf('#');
  const fields = qr.slice(hash + 1).split(',');
  if (hash < 0 || fields.length < 5) return qr;
  fields[3] = advSecretB64;
  return `${qr.slice(0, hash + 1)}${fields.join(',')}`;
}

/**
 * `companion_reg_refresh` (since 2026-07-28): after a scan WhatsApp retires the ADV secret the QR advertises. As
 * WhatsApp Web does: a new random 32-byte secret becomes the credentials' `advSecretKey` (which rc14's pair-success
 * check reads) and the current ref's QR is shown again with it. rc14's QR timer keeps rendering later refs with the
 * secret it captured, so the session passes every QR through `withAdvSecret` as well.
 */
export function handleRegistrationRefresh(sock: WASocket, options: { currentQr(): string | undefined; pairingByCode(): boolean; logger: Logger }): void {
  sock.ws.on('CB:notification,type:companion_reg_refresh', (node: BinaryNode) => {
    const children = Array.isArray(node.content) ? node.content.map((c) => c.tag) : [];
    if (!children.includes('companion_reg_refresh') && !children.includes('pair-device-rotate-qr')) {
      options.logger.warn({ children }, 'companion_reg_refresh without a known child: ignored');
      return;
    }
    // a pairing-code link derives its secret from the code exchange: rotating it would break that link
    if (options.pairingByCode()) {
      options.logger.info('companion_reg_refresh during a pairing-code link: kept the code-derived secret');
      return;
    }
    const creds = sock.authState.creds;
    creds.advSecretKey = randomBytes(32).toString('base64');
    sock.ev.emit('creds.update', { advSecretKey: creds.advSecretKey });
    const qr = options.currentQr();
    options.logger.info('WhatsApp retired the QR code secret (companion_reg_refresh): showing the QR code again with a new one');
    if (qr) sock.ev.emit('connection.update', { qr: withAdvSecret(qr, creds.advSecretKey) });
  });
  // sent before the real primary_hello, without its payload; rc14 throws 'Invalid buffer' on it (harmless, logged)
  sock.ws.on('CB:notification,type:link_code_companion_reg', (node: BinaryNode) => {
    const reg = Array.isArray(node.content) ? node.content.find((c) => c.tag === 'link_code_companion_reg') : undefined;
    const hasPayload = Array.isArray(reg?.content) && reg.content.some((c) => c.tag === 'primary_identity_pub');
    if (!hasPayload) options.logger.info('link_code_companion_reg notice without a pairing payload: waiting for the phone');
  });
}

/**
 * rc14's `requestPairingCode` returns a locally made code before WhatsApp answers and sends
 * `${browser[1]} (${browser[0]})` as the platform display, where `browser[0]` is the Linked Devices label. This one
 * sends a standard display (the label stays in the login payload, where any value is accepted) and resolves only
 * once WhatsApp accepted the request; a refusal throws PairingRejectedError and leaves the credentials unlinked.
 */
export async function requestPairingCode(b: Baileys, sock: WASocket, phoneDigits: string, platformDisplay: string): Promise<string> {
  const creds = sock.authState.creds;
  const code = b.bytesToCrockford(randomBytes(5));
  creds.pairingCode = code;
  creds.me = { id: b.jidEncode(phoneDigits, 's.whatsapp.net'), name: '~' };
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key = await b.derivePairingCodeKey(code, salt);
  const wrappedEphemeral = Buffer.concat([salt, iv, b.aesEncryptCTR(creds.pairingEphemeralKeyPair.public, key, iv)]);
  try {
    await sock.query({
      tag: 'iq',
      attrs: { to: b.S_WHATSAPP_NET, type: 'set', id: sock.generateMessageTag(), xmlns: 'md' },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { jid: creds.me.id, stage: 'companion_hello', should_show_push_notification: 'true' },
          content: [
            { tag: 'link_code_pairing_wrapped_companion_ephemeral_pub', attrs: {}, content: wrappedEphemeral },
            { tag: 'companion_server_auth_key_pub', attrs: {}, content: creds.noiseKey.public },
            { tag: 'companion_platform_id', attrs: {}, content: b.getCompanionPlatformId(['', platformDisplay.split(' (')[0] ?? 'Chrome', '']) },
            { tag: 'companion_platform_display', attrs: {}, content: platformDisplay },
            { tag: 'link_code_pairing_nonce', attrs: {}, content: '0' },
          ],
        },
      ],
    });
  } catch (error) {
    creds.me = undefined;
    creds.pairingCode = undefined;
    const boom = error as Error & { data?: unknown };
    if (typeof boom.data === 'number') throw new PairingRejectedError(boom.data, boom.message);
    throw error;
  }
  sock.ev.emit('creds.update', { me: creds.me, pairingCode: code });
  return code;
}
