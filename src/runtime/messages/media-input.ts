/**
 * messages/media-input: media given to a send, as base64, an http(s) URL or a multipart upload, checked against
 * the size and type limits. URLs are fetched through the outbound-URL guard (net/guard): loopback, private and
 * reserved addresses are refused unless configuration allows them, on every redirect hop.
 */
import { ApiError } from '../errors';
import { guardedFetch, UrlRefusedError } from '../net/guard';

export interface MediaLimits {
  maxBytes: number;
  allowPrivateNetworks: boolean;
}

export interface MediaInput {
  data: Buffer;
  mimetype: string;
}

export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const VIDEO_TYPES = ['video/mp4', 'video/3gpp'];
export const AUDIO_TYPES = ['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/opus', 'audio/amr', 'audio/x-m4a'];
export const STICKER_TYPES = ['image/webp'];
/** Any audio (converted to OGG/Opus when needed). */
export const VOICE_TYPES = ['audio/*', 'video/*'];
export const ANY_TYPE = ['*/*'];

export function fromBase64(base64: string, mimetype: string | undefined, allowed: string[], limits: MediaLimits, field: string): MediaInput {
  const match = /^data:([^;]+);base64,(.*)$/s.exec(base64);
  const type = (match?.[1] ?? mimetype ?? '').toLowerCase();
  const payload = (match?.[2] ?? base64).replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length === 0) throw new ApiError(400, 'invalid_media', 'The media is not valid base64', { field });
  const data = Buffer.from(payload, 'base64');
  return checked({ data, mimetype: type }, allowed, limits, field);
}

/**
 * Media as JSON bodies give it: `{base64 | url, mimetype?}` with exactly one source. A given `mimetype` (or
 * `fallbackMimetype`) names the type of base64 data and overrides what a URL's server declared.
 */
export async function fromJson(source: unknown, fallbackMimetype: string | undefined, allowed: string[], limits: MediaLimits, field: string): Promise<MediaInput> {
  const media = source as { base64?: unknown; url?: unknown; mimetype?: unknown } | undefined;
  if (!media || typeof media !== 'object' || (typeof media.base64 !== 'string') === (typeof media.url !== 'string')) {
    throw new ApiError(400, 'validation_failed', `Give exactly one of "${field}.base64" or "${field}.url"`, { field });
  }
  const mimetype = typeof media.mimetype === 'string' ? media.mimetype.toLowerCase() : fallbackMimetype?.toLowerCase();
  if (typeof media.base64 === 'string') return fromBase64(media.base64, mimetype, allowed, limits, `${field}.base64`);
  const downloaded = await fromUrl(media.url as string, allowed, limits, `${field}.url`);
  return mimetype ? checked({ data: downloaded.data, mimetype }, allowed, limits, field) : downloaded;
}

export async function fromUrl(url: string, allowed: string[], limits: MediaLimits, field: string): Promise<MediaInput> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ApiError(400, 'invalid_media_url', `"${url}" is not a URL`, { field });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ApiError(400, 'invalid_media_url', 'Only http and https media URLs are supported', { field });
  let response: Awaited<ReturnType<typeof guardedFetch>>;
  try {
    response = await guardedFetch(parsed, { signal: AbortSignal.timeout(30_000) }, { allowPrivateNetworks: limits.allowPrivateNetworks });
  } catch (error) {
    if (error instanceof UrlRefusedError) {
      throw new ApiError(400, 'media_url_not_allowed', `This media URL is not allowed: ${error.message} (set WA_MEDIA_ALLOW_PRIVATE_NETWORKS=true to allow loopback and private networks)`, { field });
    }
    throw new ApiError(422, 'media_download_failed', `Could not download the media: ${(error as Error).message}`, { field });
  }
  if (!response.ok) throw new ApiError(422, 'media_download_failed', `Downloading the media returned HTTP ${response.status}`, { field });
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limits.maxBytes) throw tooLarge(limits, field);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > limits.maxBytes) throw tooLarge(limits, field);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  const mimetype = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  return checked({ data: Buffer.concat(chunks), mimetype }, allowed, limits, field);
}

export function checked(input: MediaInput, allowed: string[], limits: MediaLimits, field: string): MediaInput {
  if (input.data.length === 0) throw new ApiError(400, 'invalid_media', 'The media is empty', { field });
  if (input.data.length > limits.maxBytes) throw tooLarge(limits, field);
  const mimetype = input.mimetype || sniff(input.data) || (allowed.includes('*/*') ? 'application/octet-stream' : '');
  const base = mimetype.split(';')[0].trim();
  if (!allowed.some((type) => type === base || type === '*/*' || (type.endsWith('/*') && base.startsWith(type.slice(0, -1))))) {
    throw new ApiError(415, 'unsupported_media_type', `Media type "${mimetype || 'unknown'}" is not supported here; use one of ${allowed.join(', ')}`, { field });
  }
  return { data: input.data, mimetype };
}

function sniff(data: Buffer): string | undefined {
  if (data[0] === 0xff && data[1] === 0xd8) return 'image/jpeg';
  if (data.subarray(4, 8).toString('latin1') === 'ftyp') return data.subarray(8, 11).toString('latin1') === 'M4A' ? 'audio/mp4' : 'video/mp4';
  if (data.subarray(0, 4).toString('latin1') === 'OggS') return 'audio/ogg';
  if (data.subarray(0, 3).toString('latin1') === 'ID3' || (data[0] === 0xff && (data[1] & 0xe0) === 0xe0)) return 'audio/mpeg';
  if (data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WAVE') return 'audio/wav';
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.subarray(0, 4).toString() === 'RIFF' && data.subarray(8, 12).toString() === 'WEBP') return 'image/webp';
  return undefined;
}

function tooLarge(limits: MediaLimits, field: string): ApiError {
  return new ApiError(413, 'media_too_large', `The media is larger than the limit of ${limits.maxBytes} bytes`, { field });
}

/** The usual file extension of a media type, for names of files that came without one. */
export function extensionOf(mimetype: string): string {
  const known: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'video/mp4': 'mp4', 'audio/ogg': 'ogg', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'application/pdf': 'pdf' };
  return known[mimetype] ?? 'bin';
}
