import { loadBaileys } from '../../src/runtime/whatsapp/baileys';
import { verifyCurveSignature } from '../../src/runtime/whatsapp/signatures';

describe('curve signature checks', () => {
  test('a signature that verified once is remembered for exactly its key, message and signature', async () => {
    const b = await loadBaileys();
    const signer = b.Curve.generateKeyPair();
    const other = b.Curve.generateKeyPair();
    const message = Buffer.from('certificate details');
    const signature = b.Curve.sign(signer.private, message);
    expect(verifyCurveSignature(signer.public, message, signature)).toBe(true);
    // again, now from what was remembered
    expect(verifyCurveSignature(signer.public, message, signature)).toBe(true);
    const forged = Buffer.from(signature);
    forged[10] ^= 1;
    expect(verifyCurveSignature(signer.public, message, forged)).toBe(false);
    expect(verifyCurveSignature(signer.public, Buffer.from('certificate detailz'), signature)).toBe(false);
    expect(verifyCurveSignature(other.public, message, signature)).toBe(false);
    // the same bytes split differently between message and signature are another check
    expect(verifyCurveSignature(signer.public, Buffer.concat([signature.subarray(63), message]), signature.subarray(0, 63))).toBe(false);
    expect(verifyCurveSignature(signer.public, message, Buffer.alloc(64))).toBe(false);
  });
});
