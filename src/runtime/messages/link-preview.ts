/**
 * messages/link-preview: the preview card of the first URL in a text (title, description, thumbnail), fetched
 * with link-preview-js under the same rule as media URLs: no loopback or private addresses unless allowed.
 * A preview that cannot be built never blocks the message: it is sent without one.
 */
import { lookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import { isPrivateAddress } from './media-input';

type WAUrlInfo = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).WAUrlInfo;

const URL_PATTERN = /https?:\/\/[^\s<>"']+/i;

export async function linkPreview(text: string, options: { allowPrivateNetworks: boolean; timeoutMs?: number; logger?: Logger }): Promise<WAUrlInfo | undefined> {
  const matched = URL_PATTERN.exec(text)?.[0];
  if (!matched) return undefined;
  try {
    const { getLinkPreview } = await import('link-preview-js');
    const headers = { 'user-agent': 'WhatsApp/2.23 (link preview)' };
    const timeout = options.timeoutMs ?? 5000;
    const preview = options.allowPrivateNetworks
      ? await getLinkPreview(matched, { timeout, headers, followRedirects: 'follow' })
      : // every hop's address is checked: one manual redirect, re-resolved like the first URL
        await getLinkPreview(matched, {
          timeout,
          headers,
          followRedirects: 'manual',
          handleRedirects: (_from: string, to: string) => /^https?:\/\//.test(to),
          resolveDNSHost: async (url: string) => {
            const { address } = await lookup(new URL(url).hostname);
            if (isPrivateAddress(address)) throw new Error('link preview of a private address refused');
            return address;
          },
        });
    if (!('title' in preview) || !preview.title) return undefined;
    return {
      'canonical-url': preview.url,
      'matched-text': matched,
      title: preview.title,
      description: preview.description ?? undefined,
      originalThumbnailUrl: preview.images?.[0],
    };
  } catch (error) {
    options.logger?.debug({ err: error, url: matched }, 'no link preview');
    return undefined;
  }
}
