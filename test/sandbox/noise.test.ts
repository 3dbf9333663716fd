import { loadBaileys } from '../../src/runtime/whatsapp/baileys';
import { makeCertChain } from '../../src/runtime/sandbox/noise';
import { verifyCurveSignature as verifySignature } from '../../src/runtime/whatsapp/signatures';

describe('sandbox certificate chain', () => {
  test('the chain verifies against its own root and not against another root', async () => {
    const b = await loadBaileys();
    const root = b.Curve.generateKeyPair();
    const otherRoot = b.Curve.generateKeyPair();
    const serverStatic = b.Curve.generateKeyPair();
    const chain = b.proto.CertChain.decode(makeCertChain(b, root, serverStatic));
    const intermediate = b.proto.CertChain.NoiseCertificate.Details.decode(chain.intermediate!.details!);
    const leaf = b.proto.CertChain.NoiseCertificate.Details.decode(chain.leaf!.details!);
    expect(intermediate.issuerSerial).toBe(0);
    expect(Buffer.from(leaf.key!)).toEqual(Buffer.from(serverStatic.public));
    expect(verifySignature(root.public, chain.intermediate!.details!, chain.intermediate!.signature!)).toBe(true);
    expect(verifySignature(otherRoot.public, chain.intermediate!.details!, chain.intermediate!.signature!)).toBe(false);
    expect(verifySignature(intermediate.key!, chain.leaf!.details!, chain.leaf!.signature!)).toBe(true);
  });
});
