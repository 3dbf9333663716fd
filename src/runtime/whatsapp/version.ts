/**
 * whatsapp/version: which WhatsApp Web version sessions announce. WhatsApp stops serving QR codes to a stale one, and
 * the version bundled with a pinned Baileys ages. `auto` fetches the current one once at start (short timeout,
 * fallback to the bundled one); `x.y.z` pins it; sandbox mode never fetches anything.
 */
import type { Logger } from 'pino';
import type { Baileys } from './baileys';

export type WAVersion = [number, number, number];

export type VersionSetting = 'auto' | 'bundled' | `${number}.${number}.${number}`;

export interface ResolvedVersion {
  version: WAVersion;
  source: 'fetched' | 'pinned' | 'bundled';
}

export const VERSION_FETCH_TIMEOUT_MS = 5000;

type Fetcher = (signal: AbortSignal) => Promise<{ version: WAVersion; error?: unknown }>;

export async function resolveWaVersion(
  b: Baileys,
  setting: VersionSetting,
  options: { sandbox: boolean; logger: Logger; timeoutMs?: number; fetchLatest?: Fetcher },
): Promise<ResolvedVersion> {
  const bundled: ResolvedVersion = { version: [...b.DEFAULT_CONNECTION_CONFIG.version] as WAVersion, source: 'bundled' };
  const { logger } = options;
  if (setting === 'bundled') return logged(bundled);
  if (setting !== 'auto') return logged({ version: setting.split('.').map(Number) as WAVersion, source: 'pinned' });
  if (options.sandbox) return logged(bundled);
  const fetchLatest: Fetcher = options.fetchLatest ?? ((signal) => b.fetchLatestWaWebVersion({ signal }) as Promise<{ version: WAVersion; error?: unknown }>);
  try {
    const latest = await fetchLatest(AbortSignal.timeout(options.timeoutMs ?? VERSION_FETCH_TIMEOUT_MS));
    if (latest.error) throw latest.error;
    return logged({ version: latest.version, source: 'fetched' });
  } catch (error) {
    logger.warn({ err: error, bundled: bundled.version.join('.') }, 'could not fetch the current WhatsApp Web version: using the bundled one (pin one with WA_VERSION=x.y.z)');
    return logged(bundled);
  }

  function logged(resolved: ResolvedVersion): ResolvedVersion {
    logger.info({ version: resolved.version.join('.'), source: resolved.source }, 'WhatsApp Web version');
    return resolved;
  }
}
