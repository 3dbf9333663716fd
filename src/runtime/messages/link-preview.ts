/**
 * messages/link-preview: the preview card of the first URL in a text (title, description, image URL), read from the
 * page's Open Graph tags or its <title>. Fetched through the outbound-URL guard (net/guard), as media URLs are: no
 * loopback, private or reserved addresses unless allowed, on every redirect hop. A preview that cannot be built never blocks the message.
 * (link-preview-js was tried first: its URL pattern refuses IP literals and cannot be told otherwise.)
 */
import type { Logger } from 'pino';
import { guardedFetch } from '../net/guard';

type WAUrlInfo = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).WAUrlInfo;

const URL_PATTERN = /https?:\/\/[^\s<>"']+/i;
const MAX_HTML_BYTES = 512 * 1024;
const MAX_REDIRECTS = 3;

export async function linkPreview(text: string, options: { allowPrivateNetworks: boolean; timeoutMs?: number; logger?: Logger }): Promise<WAUrlInfo | undefined> {
  const matched = URL_PATTERN.exec(text)?.[0]?.replace(/[.,;:!?)]+$/, '');
  if (!matched) return undefined;
  try {
    const signal = AbortSignal.timeout(options.timeoutMs ?? 5000);
    const response = await guardedFetch(matched, { signal, headers: { 'user-agent': 'WhatsApp/2.24 (link preview)', accept: 'text/html' } }, { allowPrivateNetworks: options.allowPrivateNetworks, maxRedirects: MAX_REDIRECTS });
    const url = new URL(response.url || matched);
    if (!response.ok || !(response.headers.get('content-type') ?? '').includes('html')) return undefined;
    const html = await readCapped(response, MAX_HTML_BYTES);
    const title = meta(html, 'og:title') ?? decode(/<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1]?.trim() ?? '');
    if (!title) return undefined;
    const description = meta(html, 'og:description') ?? meta(html, 'description');
    const image = meta(html, 'og:image');
    return {
      'canonical-url': meta(html, 'og:url') ?? url.toString(),
      'matched-text': matched,
      title,
      ...(description && { description }),
      ...(image && { originalThumbnailUrl: new URL(image, url).toString() }),
    };
  } catch (error) {
    options.logger?.debug({ err: error, url: matched }, 'no link preview');
    return undefined;
  }
}

function meta(html: string, name: string): string | undefined {
  for (const tag of html.match(/<meta\b[^>]*>/gi) ?? []) {
    const key = /\b(?:property|name)\s*=\s*["']([^"']+)["']/i.exec(tag)?.[1];
    if (key?.toLowerCase() !== name) continue;
    const content = /\bcontent\s*=\s*"([^"]*)"|\bcontent\s*=\s*'([^']*)'/i.exec(tag);
    const value = decode((content?.[1] ?? content?.[2] ?? '').trim());
    if (value) return value;
  }
  return undefined;
}

function decode(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] === '#') return String.fromCodePoint(body[1].toLowerCase() === 'x' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10));
    return named[body.toLowerCase()] ?? entity;
  });
}

async function readCapped(response: Awaited<ReturnType<typeof guardedFetch>>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    chunks.push(Buffer.from(chunk as Uint8Array));
    size += (chunk as Uint8Array).length;
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}
