/**
 * sandbox/undecryptable: ciphertext a linked device cannot decrypt, as after WhatsApp's move to LID addressing
 * ("Bad MAC"): a real Signal message whose MAC is broken. The sender's phone keeps the plaintext and encrypts it
 * again when the device sends a retry receipt.
 */

/** Flips the last MAC byte of a WhisperMessage (`msg`) or of the one inside a PreKeyWhisperMessage (`pkmsg`). */
export function corruptCiphertext(type: 'pkmsg' | 'msg', ciphertext: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(ciphertext);
  if (type === 'msg') {
    copy[copy.length - 1] ^= 0xff;
    return copy;
  }
  // version byte, then protobuf fields; field 4 (`message`, length-delimited) is the inner WhisperMessage
  let offset = 1;
  while (offset < copy.length) {
    const [key, afterKey] = varint(copy, offset);
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) {
      offset = varint(copy, afterKey)[1];
    } else if (wire === 2) {
      const [length, start] = varint(copy, afterKey);
      if (field === 4) {
        copy[start + length - 1] ^= 0xff;
        return copy;
      }
      offset = start + length;
    } else {
      break;
    }
  }
  throw new Error('no inner message in this PreKeyWhisperMessage');
}

function varint(bytes: Uint8Array, offset: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[offset++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, offset];
    shift += 7;
  }
}
