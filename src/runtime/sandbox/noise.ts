/**
 * sandbox/noise: the server (responder) side of WhatsApp's Noise_XX_25519_AESGCM_SHA256 handshake, the test
 * certificate chain the client verifies against its pinned root, and the 3-byte length framing of the socket.
 * Mirrors Baileys' own `Utils/noise-handler.js` from the other end, built from Baileys' exported primitives.
 */
import type { Baileys } from '../whatsapp/baileys';

export interface KeyPair {
  public: Uint8Array;
  private: Uint8Array;
}

/** A root key and a certificate chain (root → intermediate → leaf) as WhatsApp's server presents it. */
export function makeCertChain(b: Baileys, root: KeyPair, serverStatic: KeyPair): Uint8Array {
  const { Curve, proto } = b;
  const intermediateKey = Curve.generateKeyPair();
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({ serial: 1, issuerSerial: 0, key: intermediateKey.public }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({ serial: 2, issuerSerial: 1, key: serverStatic.public }).finish();
  return proto.CertChain.encode({
    intermediate: { details: intermediateDetails, signature: Curve.sign(root.private, intermediateDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediateKey.private, leafDetails) },
  }).finish();
}

export class NoiseResponder {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private ephemeral: KeyPair | undefined;
  private transport: { enc: Buffer; dec: Buffer; readCounter: number; writeCounter: number } | undefined;

  constructor(
    private readonly b: Baileys,
    private readonly serverStatic: KeyPair,
    private readonly certChain: Uint8Array,
  ) {
    this.hash = Buffer.from(b.NOISE_MODE);
    this.salt = this.hash;
    this.key = this.hash;
    this.authenticate(b.NOISE_WA_HEADER);
  }

  get ready(): boolean {
    return this.transport !== undefined;
  }

  /** ClientHello in, ServerHello (an encoded HandshakeMessage) out. */
  serverHello(clientEphemeral: Uint8Array): Uint8Array {
    const { Curve, proto } = this.b;
    this.authenticate(clientEphemeral);
    this.ephemeral = Curve.generateKeyPair();
    this.authenticate(this.ephemeral.public);
    this.mix(Curve.sharedKey(this.ephemeral.private, clientEphemeral));
    const encStatic = this.encryptHandshake(this.serverStatic.public);
    this.mix(Curve.sharedKey(this.serverStatic.private, clientEphemeral));
    const payload = this.encryptHandshake(this.certChain);
    return proto.HandshakeMessage.encode({ serverHello: { ephemeral: this.ephemeral.public, static: encStatic, payload } }).finish();
  }

  /** ClientFinish in: returns the client's static (noise) public key and its decoded ClientPayload. */
  clientFinish(finish: { static?: Uint8Array | null; payload?: Uint8Array | null }) {
    const { Curve, proto } = this.b;
    if (!finish.static || !finish.payload || !this.ephemeral) throw new Error('incomplete ClientFinish');
    const clientStatic = this.decryptHandshake(finish.static);
    this.mix(Curve.sharedKey(this.ephemeral.private, clientStatic));
    const payload = proto.ClientPayload.decode(this.decryptHandshake(finish.payload));
    const k = this.b.hkdf(Buffer.alloc(0), 64, { salt: this.salt, info: '' });
    // The client encrypts with the first half and decrypts with the second; the server the other way round.
    this.transport = { enc: Buffer.from(k.subarray(32)), dec: Buffer.from(k.subarray(0, 32)), readCounter: 0, writeCounter: 0 };
    return { clientStatic, payload };
  }

  encryptFrame(plaintext: Uint8Array): Buffer {
    const t = this.requireTransport();
    return this.b.aesEncryptGCM(plaintext, t.enc, iv(t.writeCounter++), Buffer.alloc(0));
  }

  decryptFrame(ciphertext: Uint8Array): Buffer {
    const t = this.requireTransport();
    return this.b.aesDecryptGCM(ciphertext, t.dec, iv(t.readCounter++), Buffer.alloc(0));
  }

  private requireTransport() {
    if (!this.transport) throw new Error('noise transport not established');
    return this.transport;
  }

  private authenticate(data: Uint8Array): void {
    this.hash = Buffer.from(this.b.sha256(Buffer.concat([this.hash, data])));
  }

  private mix(sharedSecret: Uint8Array): void {
    const k = this.b.hkdf(Buffer.from(sharedSecret), 64, { salt: this.salt, info: '' });
    this.salt = Buffer.from(k.subarray(0, 32));
    this.key = Buffer.from(k.subarray(32));
    this.counter = 0;
  }

  private encryptHandshake(plaintext: Uint8Array): Buffer {
    const result = this.b.aesEncryptGCM(plaintext, this.key, iv(this.counter++), this.hash);
    this.authenticate(result);
    return result;
  }

  private decryptHandshake(ciphertext: Uint8Array): Buffer {
    const result = this.b.aesDecryptGCM(ciphertext, this.key, iv(this.counter++), this.hash);
    this.authenticate(ciphertext);
    return result;
  }
}

function iv(counter: number): Buffer {
  const buffer = Buffer.alloc(12);
  buffer.writeUInt32BE(counter, 8);
  return buffer;
}

/** Splits the client's byte stream into frames: strips the intro header once, then 3-byte big-endian lengths. */
export class FrameReader {
  private buffer = Buffer.alloc(0);
  private sawIntro = false;

  push(chunk: Buffer): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.sawIntro) {
      if (this.buffer.length < 4) return [];
      if (this.buffer[0] === 0x45 && this.buffer[1] === 0x44) {
        // 'ED' routing prefix: 'ED', 0, 1, 3-byte length, routing info, then the WA header
        if (this.buffer.length < 7) return [];
        const routingLength = (this.buffer[4] << 16) | this.buffer.readUInt16BE(5);
        if (this.buffer.length < 7 + routingLength + 4) return [];
        this.buffer = this.buffer.subarray(7 + routingLength);
      }
      if (this.buffer[0] !== 0x57 || this.buffer[1] !== 0x41) throw new Error('bad intro header');
      this.buffer = this.buffer.subarray(4);
      this.sawIntro = true;
    }
    const frames: Buffer[] = [];
    while (this.buffer.length >= 3) {
      const size = (this.buffer[0] << 16) | this.buffer.readUInt16BE(1);
      if (this.buffer.length < size + 3) break;
      frames.push(Buffer.from(this.buffer.subarray(3, size + 3)));
      this.buffer = this.buffer.subarray(size + 3);
    }
    return frames;
  }
}

export function frame(data: Uint8Array): Buffer {
  const out = Buffer.alloc(3 + data.length);
  out.writeUInt8(data.length >> 16, 0);
  out.writeUInt16BE(data.length & 0xffff, 1);
  out.set(data, 3);
  return out;
}
