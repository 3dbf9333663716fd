import pino from 'pino';
import { loadBaileys, type Baileys } from '../../src/runtime/whatsapp/baileys';
import { resolveWaVersion, type WAVersion } from '../../src/runtime/whatsapp/version';
import { parseConfig } from '../../src/runtime/config';

describe('WhatsApp Web version (WA_VERSION)', () => {
  let b: Baileys;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    b = await loadBaileys();
  });
  const bundled = () => [...b.DEFAULT_CONNECTION_CONFIG.version];

  test('auto fetches the current version once', async () => {
    const fetchLatest = jest.fn(async () => ({ version: [2, 3000, 1099999999] as WAVersion }));
    expect(await resolveWaVersion(b, 'auto', { sandbox: false, logger, fetchLatest })).toEqual({ version: [2, 3000, 1099999999], source: 'fetched' });
    expect(fetchLatest).toHaveBeenCalledTimes(1);
  });

  test('auto falls back to the bundled version when the fetch fails, reports an error, or takes too long', async () => {
    const failing = async () => {
      throw new Error('getaddrinfo ENOTFOUND web.whatsapp.com');
    };
    const reported = async () => ({ version: [2, 3000, 1] as WAVersion, error: { message: 'Could not find client revision' } });
    const hanging = (signal: AbortSignal) => new Promise<{ version: WAVersion }>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    for (const fetchLatest of [failing, reported, hanging]) {
      expect(await resolveWaVersion(b, 'auto', { sandbox: false, logger, fetchLatest, timeoutMs: 50 })).toEqual({ version: bundled(), source: 'bundled' });
    }
  });

  test('a pinned version and `bundled` never fetch; sandbox mode never fetches', async () => {
    const fetchLatest = jest.fn(async () => ({ version: [9, 9, 9] as WAVersion }));
    expect(await resolveWaVersion(b, '2.3000.1012345678', { sandbox: false, logger, fetchLatest })).toEqual({ version: [2, 3000, 1012345678], source: 'pinned' });
    expect(await resolveWaVersion(b, 'bundled', { sandbox: false, logger, fetchLatest })).toEqual({ version: bundled(), source: 'bundled' });
    expect(await resolveWaVersion(b, 'auto', { sandbox: true, logger, fetchLatest })).toEqual({ version: bundled(), source: 'bundled' });
    expect(fetchLatest).not.toHaveBeenCalled();
  });

  test('the setting is validated', () => {
    expect(parseConfig({ waVersion: '2.3000.1' }).waVersion).toBe('2.3000.1');
    expect(() => parseConfig({ waVersion: 'latest' })).toThrow(/waVersion/);
  });
});
