/**
 * contract/versions: which nodes and which runtime work together. Versions match by `MAJOR.MINOR.x` patterns (the same
 * minor version while the packages are 0.x); the runtime answers the credential test with the verdict.
 */

/** The n8n package's own version (a test keeps it equal to package.json). */
export const NODES_VERSION = '0.1.0';
/** Runtime versions these nodes work with (package.json `whatsappRuntime.versions`). */
export const RUNTIME_VERSIONS = '0.1.x';

export type Compatibility = 'compatible' | 'runtime_too_old' | 'runtime_too_new';

/** Whether `version` (`1.2.3`) is within `pattern` (`1.2.x`, `1.x` or an exact version). */
export function versionMatches(version: string, pattern: string): boolean {
  const wanted = pattern.trim().split('.');
  const actual = version.trim().split(/[.+-]/);
  return wanted.every((part, i) => part === 'x' || part === '*' || part === actual[i]);
}

/** The versions of the same minor line as `version` (`0.1.7` → `0.1.x`): what a package works with by default. */
export function minorVersions(version: string): string {
  return `${version.split('.').slice(0, 2).join('.')}.x`;
}

/**
 * The verdict on a runtime of `runtimeVersion` that accepts nodes of `nodesAccepted`, for nodes of `nodesVersion`
 * that accept runtimes of `runtimesAccepted`: compatible only when each accepts the other.
 */
export function compatibility(runtimeVersion: string, nodesAccepted: string, nodesVersion: string, runtimesAccepted: string): Compatibility {
  if (versionMatches(runtimeVersion, runtimesAccepted) && versionMatches(nodesVersion, nodesAccepted)) return 'compatible';
  return compareVersions(runtimeVersion, nodesVersion) < 0 ? 'runtime_too_old' : 'runtime_too_new';
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split(/[.+-]/).slice(0, 3).map((part) => Number.parseInt(part, 10) || 0));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}
