/**
 * whatsapp/signatures: XEdDSA signature checks that really fail. Baileys rc14's `Curve.verify` only catches
 * exceptions, but libsignal's `verifySignature` reports a bad signature by returning false, so rc14 accepts any
 * server certificate chain and any account signature at pairing. `enforceSignatureChecks` puts a real check in its
 * place, once, when Baileys is loaded: the Noise handshake (root → intermediate → leaf) and the pairing's account
 * signature then refuse a forgery. Checks that passed are remembered (see `verified`).
 */
import { hash } from 'node:crypto';
import * as curve from 'libsignal/src/curve';

/** Curve25519 public keys travel with libsignal's 0x05 type prefix or without it; libsignal wants it. */
function prefixed(publicKey: Uint8Array): Buffer {
  return publicKey.length === 33 ? Buffer.from(publicKey) : Buffer.concat([Buffer.from([5]), publicKey]);
}

/**
 * Signatures that verified, by a digest of key, message and signature: every login checks the server's certificate
 * chain, whose intermediate (and often leaf) is the same for every session, and libsignal's pure-JavaScript XEdDSA
 * takes about 9 ms a check (40% of a restore's CPU at 50 sessions). Only a success is remembered, for exactly those
 * bytes: anything else is checked in full.
 */
const verified = new Set<string>();
const VERIFIED_KEPT = 256;

export function verifyCurveSignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const digest = hash('sha256', Buffer.concat([lengthOf(publicKey), publicKey, lengthOf(signature), signature, message]), 'base64');
  if (verified.has(digest)) return true;
  let ok: boolean;
  try {
    ok = curve.verifySignature(prefixed(publicKey), Buffer.from(message), Buffer.from(signature)) === true;
  } catch {
    ok = false;
  }
  if (ok) {
    if (verified.size >= VERIFIED_KEPT) verified.delete(verified.values().next().value!);
    verified.add(digest);
  }
  return ok;
}

function lengthOf(bytes: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return length;
}

/** Replaces the `verify` of Baileys' `Curve`, which its noise handler and pairing code call. */
export function enforceSignatureChecks(curve: { verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean }): void {
  curve.verify = verifyCurveSignature;
}
