/**
 * messages/content: what each kind of send accepts and the Baileys message content it becomes. Media requests come
 * as JSON (`media: {base64 | url, mimetype?, fileName?}`) or multipart (fields plus one file part); both end as the
 * same `MediaRequest`, with a fingerprint for idempotency.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors';
import { ANY_TYPE, AUDIO_TYPES, IMAGE_TYPES, STICKER_TYPES, VIDEO_TYPES, VOICE_TYPES, checked, fromJson, type MediaInput, type MediaLimits } from './media-input';
import { toVoiceNote } from './voice';

type AnyMessageContent = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).AnyMessageContent;

export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';

interface MediaKindSpec {
  summary: string;
  types: string[];
  caption: boolean;
}

export const MEDIA_KINDS: Record<MediaKind, MediaKindSpec> = {
  image: { summary: 'Send an image (JPEG, PNG or WebP)', types: IMAGE_TYPES, caption: true },
  video: { summary: 'Send a video (MP4 or 3GPP)', types: VIDEO_TYPES, caption: true },
  audio: { summary: 'Send an audio file (played as music, not as a voice note)', types: AUDIO_TYPES, caption: false },
  voice: { summary: 'Send a voice note (any audio; converted to OGG/Opus with ffmpeg when needed)', types: VOICE_TYPES, caption: false },
  document: { summary: 'Send a document (any file type, with its file name)', types: ANY_TYPE, caption: true },
  sticker: { summary: 'Send a sticker (WebP)', types: STICKER_TYPES, caption: false },
};

/** Fields a media send takes besides the file. */
export interface MediaRequest {
  to: string;
  caption?: string;
  fileName?: string;
  quotedMessageId?: string;
  /** Video only: play as a GIF (looping, muted). */
  gifPlayback?: boolean;
  /** Send even though the recipient opted out (they asked for this very message). */
  ignoreOptOut?: boolean;
  media: MediaInput;
  /** Queueing: `bulk` or `interactive`, and a time to send at (checked by the route). */
  lane?: string;
  sendAt?: string;
  /** Identifies the request for Idempotency-Key checks (file bytes hashed). */
  fingerprint: string;
}

const TEXT_FIELDS = ['to', 'caption', 'fileName', 'quotedMessageId', 'mimetype', 'gifPlayback', 'ignoreOptOut', 'lane', 'sendAt'] as const;
const BOOLEAN_FIELDS: readonly string[] = ['gifPlayback', 'ignoreOptOut'];

/** Reads a media request; `recipient: false` is for media that goes nowhere (a profile picture): no `to`. */
export async function readMediaRequest(request: FastifyRequest, kind: MediaKind, limits: MediaLimits, options: { recipient?: boolean } = {}): Promise<MediaRequest> {
  const recipient = options.recipient ?? true;
  const allowed: readonly string[] = recipient ? TEXT_FIELDS : [];
  const { types } = MEDIA_KINDS[kind];
  const fields: Record<string, string> = {};
  let media: MediaInput | undefined;
  let fileName: string | undefined;
  if (request.isMultipart()) {
    if (!/;\s*boundary=/i.test(request.headers['content-type'] ?? '')) throw new ApiError(400, 'validation_failed', 'A multipart/form-data body needs a boundary in its Content-Type', { field: 'content-type' });
    try {
      for await (const part of request.parts({ limits: { fileSize: limits.maxBytes, files: 1 } })) {
        if (part.type === 'file') {
          media = { data: await part.toBuffer(), mimetype: part.mimetype === 'application/octet-stream' ? '' : part.mimetype };
          fileName = part.filename || undefined;
        } else if (allowed.includes(part.fieldname)) {
          fields[part.fieldname] = String(part.value);
        } else {
          throw new ApiError(400, 'validation_failed', `Unknown field "${part.fieldname}"`, { field: part.fieldname });
        }
      }
    } catch (error) {
      throw multipartError(error, limits, kind);
    }
    if (!media) throw new ApiError(400, 'validation_failed', `Missing the ${kind} file part`, { field: kind });
    media = checked({ data: media.data, mimetype: fields.mimetype?.toLowerCase() || media.mimetype }, types, limits, kind);
  } else {
    const body = (request.body ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      if (![...allowed, 'media', kind].includes(key)) throw new ApiError(400, 'validation_failed', `Unknown field "${key}"`, { field: key });
    }
    for (const key of TEXT_FIELDS.filter((f) => allowed.includes(f))) {
      const value = body[key];
      if (value === undefined) continue;
      if (BOOLEAN_FIELDS.includes(key) && typeof value === 'boolean') fields[key] = String(value);
      else if (typeof value !== 'string' || BOOLEAN_FIELDS.includes(key)) throw new ApiError(400, 'validation_failed', `"${key}" must be a ${BOOLEAN_FIELDS.includes(key) ? 'boolean' : 'string'}`, { field: key });
      else fields[key] = value;
    }
    const field = body.media !== undefined ? 'media' : kind;
    const source = (body.media ?? body[kind]) as { url?: unknown; fileName?: unknown } | undefined;
    media = await fromJson(source, fields.mimetype, types, limits, field);
    if (typeof source?.fileName === 'string') fileName = source.fileName;
    if (typeof source?.url === 'string' && !fileName) fileName = fileNameOf(source.url);
  }
  if (recipient && !fields.to) throw new ApiError(400, 'validation_failed', 'Missing field "to"', { field: 'to' });
  if (fields.caption !== undefined && !MEDIA_KINDS[kind].caption) throw new ApiError(400, 'validation_failed', `A ${kind} cannot have a caption`, { field: 'caption' });
  if (fields.gifPlayback !== undefined && kind !== 'video') throw new ApiError(400, 'validation_failed', '"gifPlayback" is for videos only', { field: 'gifPlayback' });
  for (const key of BOOLEAN_FIELDS) {
    if (fields[key] !== undefined && fields[key] !== 'true' && fields[key] !== 'false') throw new ApiError(400, 'validation_failed', `"${key}" must be true or false`, { field: key });
  }
  const name = fields.fileName ?? fileName;
  const fingerprint = createHash('sha256').update(JSON.stringify(fields)).update(media.mimetype).update(media.data).digest('hex');
  return {
    to: fields.to ?? '',
    ...(fields.caption !== undefined && { caption: fields.caption }),
    ...(name && { fileName: name }),
    ...(fields.quotedMessageId && { quotedMessageId: fields.quotedMessageId }),
    ...(fields.gifPlayback !== undefined && { gifPlayback: fields.gifPlayback === 'true' }),
    ...(fields.ignoreOptOut === 'true' && { ignoreOptOut: true }),
    ...(fields.lane !== undefined && { lane: fields.lane }),
    ...(fields.sendAt !== undefined && { sendAt: fields.sendAt }),
    media,
    fingerprint,
  };
}

/** A multipart body that breaks off, has malformed parts or more than one file is the client's mistake. */
function multipartError(error: unknown, limits: MediaLimits, kind: MediaKind): ApiError {
  if (error instanceof ApiError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new ApiError(413, 'media_too_large', `The media is larger than the limit of ${limits.maxBytes} bytes`, { field: kind });
  if (code === 'FST_FILES_LIMIT') return new ApiError(400, 'validation_failed', 'Send one file part only', { field: kind });
  return new ApiError(400, 'invalid_multipart', `The multipart/form-data body could not be read: ${(error as Error).message}`, { field: 'body' });
}

/** The Baileys content of a media send (voice notes converted here, so a refused conversion sends nothing). */
export async function mediaContent(kind: MediaKind, input: MediaRequest, ffmpegPath: string): Promise<AnyMessageContent> {
  const { data, mimetype } = input.media;
  const caption = input.caption ? { caption: input.caption } : {};
  switch (kind) {
    case 'image':
      return { image: data, mimetype, ...caption };
    case 'video':
      return { video: data, mimetype, ...caption, ...(input.gifPlayback && { gifPlayback: true }) };
    case 'audio':
      return { audio: data, mimetype, ptt: false };
    case 'voice': {
      const voice = await toVoiceNote(input.media, ffmpegPath, 'voice');
      return { audio: voice.data, mimetype: voice.mimetype, ptt: true };
    }
    case 'document':
      return { document: data, mimetype, fileName: input.fileName ?? 'file', ...caption };
    case 'sticker':
      return { sticker: data, mimetype };
  }
}

export interface ContactCard {
  name?: string;
  phone?: string;
  organization?: string;
  email?: string;
  vcard?: string;
}

/** A vCard 3.0 for a contact given by name and phone (the `waid` parameter makes WhatsApp offer "Message"). */
export function vcardOf(card: ContactCard, index: number): { displayName: string; vcard: string } {
  const field = `contacts[${index}]`;
  if (card.vcard) {
    if (!/^BEGIN:VCARD/i.test(card.vcard.trim()) || !/END:VCARD\s*$/i.test(card.vcard)) throw new ApiError(400, 'validation_failed', `${field}.vcard is not a vCard (BEGIN:VCARD ... END:VCARD)`, { field: `${field}.vcard` });
    const displayName = card.name ?? /^FN:(.*)$/im.exec(card.vcard)?.[1]?.trim() ?? 'Contact';
    return { displayName, vcard: card.vcard.trim() };
  }
  if (!card.name || !card.phone) throw new ApiError(400, 'validation_failed', `${field} needs "name" and "phone", or "vcard"`, { field });
  const digits = card.phone.replace(/[^0-9]/g, '');
  if (digits.length < 7 || digits.length > 15) throw new ApiError(400, 'validation_failed', `${field}.phone "${card.phone}" is not a phone number`, { field: `${field}.phone` });
  const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/([,;])/g, '\\$1').replace(/\r?\n/g, '\\n');
  const lines = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${escape(card.name)}`,
    ...(card.organization ? [`ORG:${escape(card.organization)};`] : []),
    `TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`,
    ...(card.email ? [`EMAIL:${escape(card.email)}`] : []),
    'END:VCARD',
  ];
  return { displayName: card.name, vcard: lines.join('\n') };
}

/** The last path segment of a media URL as its file name; a segment with broken percent-encoding is kept as written. */
function fileNameOf(url: string): string | undefined {
  const segment = new URL(url).pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(segment) || undefined;
  } catch {
    return segment || undefined;
  }
}
