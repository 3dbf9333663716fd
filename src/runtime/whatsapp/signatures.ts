/**
 * whatsapp/signatures: XEdDSA signature checks that really fail. Baileys rc14's `Curve.verify` only catches
 * exceptions, but libsignal's `verifySignature` reports a bad signature by returning false, so rc14 accepts any
 * server certificate chain and any account signature at pairing. `enforceSignatureChecks` puts a real check in its
 * place, once, when Baileys is loaded: the Noise handshake (root → intermediate → leaf) and the pairing's account
 * signature then refuse a forgery.
 */
import * as curve from 'libsignal/src/curve';

/** Curve25519 public keys travel with libsignal's 0x05 type prefix or without it; libsignal wants it. */
function prefixed(publicKey: Uint8Array): Buffer {
  return publicKey.length === 33 ? Buffer.from(publicKey) : Buffer.concat([Buffer.from([5]), publicKey]);
}

export function verifyCurveSignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return curve.verifySignature(prefixed(publicKey), Buffer.from(message), Buffer.from(signature)) === true;
  } catch {
    return false;
  }
}

/** Replaces the `verify` of Baileys' `Curve`, which its noise handler and pairing code call. */
export function enforceSignatureChecks(curve: { verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean }): void {
  curve.verify = verifyCurveSignature;
}
