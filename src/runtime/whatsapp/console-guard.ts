/**
 * whatsapp/console-guard: libsignal writes straight to `console` ("Closing session", "Session error: Bad MAC",
 * ...), bypassing any logger; one noisy account can flood a server. While the runtime runs, those lines go to
 * the runtime's logger at debug level instead; every other console call passes through unchanged.
 */
import type { Logger } from 'pino';

const LIBSIGNAL_PATTERNS = [/^Closing (open )?session/, /^Session error/, /^Failed to decrypt message/, /^Removing old closed session/, /^Migrating session/, /^Decrypted message with closed session/, /^V1 session storage migration/, /^(Closing stale|Opening) session/];

let installed: { restore(): void; users: number } | undefined;

export function guardConsole(logger: Logger): () => void {
  if (!installed) {
    const original = { error: console.error, warn: console.warn, info: console.info, log: console.log };
    const wrap = (name: keyof typeof original) =>
      (...args: unknown[]) => {
        if (typeof args[0] === 'string' && LIBSIGNAL_PATTERNS.some((p) => p.test(args[0] as string))) {
          logger.debug({ libsignal: args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : '[object]')) }, 'libsignal');
          return;
        }
        original[name].apply(console, args);
      };
    console.error = wrap('error');
    console.warn = wrap('warn');
    console.info = wrap('info');
    console.log = wrap('log');
    installed = { restore: () => Object.assign(console, original), users: 0 };
  }
  installed.users++;
  return () => {
    if (!installed) return;
    installed.users--;
    if (installed.users === 0) {
      installed.restore();
      installed = undefined;
    }
  };
}
