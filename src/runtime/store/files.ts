/**
 * store/files: the data dir holds Signal private keys, webhook secrets and people's messages: the folder is 0700 and
 * the database files 0600. What the runtime creates it makes so; a folder someone else made looser is reported.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';

/** Creates the data dir (0700), or answers a warning when an existing one is readable by others. */
export function prepareDataDir(dir: string): string | undefined {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // the umask may have taken bits away or not: set exactly
    chmodSync(dir, 0o700);
    return undefined;
  }
  const mode = statSync(dir).mode & 0o777;
  return mode & 0o077 ? `The data dir ${dir} is readable by other users (mode ${mode.toString(8)}); it holds keys and messages: chmod 700 it` : undefined;
}

/** A database file of the runtime and its WAL companions: owner read and write only. */
export function restrictDatabase(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}
