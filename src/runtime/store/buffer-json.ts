/**
 * JSON replacer/reviver compatible with Baileys' BufferJSON, written out here so that stores can be used before
 * (and without) loading the ESM-only Baileys module. Buffers and Uint8Arrays become `{type:'Buffer', data:<base64>}`.
 */
export function bufferJsonReplacer(_key: string, value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    return { type: 'Buffer', data: Buffer.from(value).toString('base64') };
  }
  if (isSerialisedBuffer(value) && Array.isArray(value.data)) {
    return { type: 'Buffer', data: Buffer.from(value.data as number[]).toString('base64') };
  }
  return value;
}

export function bufferJsonReviver(_key: string, value: unknown): unknown {
  if (isSerialisedBuffer(value)) {
    return typeof value.data === 'string' ? Buffer.from(value.data, 'base64') : Buffer.from(value.data as number[]);
  }
  return value;
}

function isSerialisedBuffer(value: unknown): value is { type: 'Buffer'; data: unknown } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && 'data' in value;
}
