/** delivery/signature: webhook secrets; the signature scheme and its headers are the contract\'s (src/contract). */
import { randomBytes } from 'node:crypto';

export * from '../../contract/signature';

export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
