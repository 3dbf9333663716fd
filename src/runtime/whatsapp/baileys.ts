/**
 * whatsapp/: everything that talks to Baileys. Baileys is ESM-only; this module loads it once through a real
 * dynamic `import()` (kept as such by `module: node16`), which works from CommonJS, from n8n and under jest.
 * Loading also makes its signature checks real (see `signatures.ts`).
 */
import { enforceSignatureChecks } from './signatures';

export type Baileys = typeof import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } });

let loaded: Promise<Baileys> | undefined;

export function loadBaileys(): Promise<Baileys> {
  loaded ??= import('@whiskeysockets/baileys').then((b) => {
    enforceSignatureChecks(b.Curve);
    return b;
  });
  return loaded;
}

export type WASocket = ReturnType<Baileys['makeWASocket']>;
