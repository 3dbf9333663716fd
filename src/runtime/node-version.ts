/**
 * node-version: the Node.js lines the runtime runs on, checked by the CLI and the package entry before anything else
 * is loaded (node:sqlite is missing on Node 20 and would fail with a raw stack trace): 22 from 22.16 (node:sqlite
 * without a flag, DatabaseSync.isTransaction) and 24. Imports nothing, so that it loads on any Node.js.
 */
export const MINIMUM_NODE = [22, 16] as const;

/** A one-line explanation when `version` is too old, otherwise undefined. */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const [major, minor] = version.split('.').map(Number);
  if (major > MINIMUM_NODE[0] || (major === MINIMUM_NODE[0] && minor >= MINIMUM_NODE[1])) return undefined;
  return `whatsapp-runtime needs Node.js ${MINIMUM_NODE.join('.')} or newer (22 LTS or 24); this is Node.js ${version}`;
}
