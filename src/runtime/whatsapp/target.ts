/**
 * whatsapp/target: where sessions connect. The real WhatsApp by default (no override possible); a simulator on
 * loopback in sandbox mode, whose root key is then pinned in Baileys' module instead of WhatsApp's.
 */
import type { Agent as HttpsAgent } from 'node:https';
import type { Dispatcher } from 'undici';
import type { Baileys } from './baileys';

export interface WhatsAppTarget {
  kind: 'whatsapp' | 'sandbox';
  /** `waWebSocketUrl` for Baileys; undefined means Baileys' default (web.whatsapp.com). */
  url?: string;
  /** Agent for media uploads (the sandbox media host's certificate). */
  uploadAgent?: HttpsAgent;
  /** Dispatcher for media downloads (the sandbox media host's certificate). */
  downloadDispatcher?: Dispatcher;
}

export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Pins a sandbox root key. Refuses anything but a loopback URL, so the real WhatsApp can never be impersonated. */
export function trustSandbox(b: Baileys, url: string, rootPublicKey: Uint8Array): void {
  if (!isLoopbackUrl(url)) throw new Error(`Refusing sandbox URL ${url}: a sandbox must run on loopback (127.0.0.1, ::1 or localhost)`);
  if (rootPublicKey.length !== 32) throw new Error('The sandbox root key must be a 32-byte Curve25519 public key (base64)');
  b.WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(rootPublicKey);
}
