declare module 'libsignal/src/curve' {
  export function verifySignature(publicKey: Buffer, message: Buffer, signature: Buffer, isInit?: boolean): boolean;
}
