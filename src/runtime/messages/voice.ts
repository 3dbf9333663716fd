/**
 * messages/voice: voice notes must be OGG/Opus for WhatsApp to play them as push-to-talk. Anything else is
 * converted with ffmpeg; without ffmpeg the send fails with a clear error instead of an unplayable message.
 */
import { spawn } from 'node:child_process';
import { ApiError } from '../errors';
import type { MediaInput } from './media-input';

const OGG_OPUS = 'audio/ogg; codecs=opus';

export async function toVoiceNote(input: MediaInput, ffmpegPath: string, field: string): Promise<MediaInput> {
  if (isOggOpus(input.data)) return { data: input.data, mimetype: OGG_OPUS };
  const data = await convert(input.data, ffmpegPath, field);
  return { data, mimetype: OGG_OPUS };
}

/** An Ogg stream whose first packet is an Opus header. */
export function isOggOpus(data: Buffer): boolean {
  return data.subarray(0, 4).toString('latin1') === 'OggS' && data.subarray(0, 100).includes('OpusHead');
}

function convert(data: Buffer, ffmpegPath: string, field: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-vn', '-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg', 'pipe:1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => undefined);
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new ApiError(422, 'converter_unavailable', `Voice notes must be OGG/Opus; converting other audio needs ffmpeg, which was not found at "${ffmpegPath}" (install ffmpeg or set WA_FFMPEG_PATH), or send OGG/Opus`, { field })
          : error,
      );
    });
    child.on('close', (code) => {
      if (code === 0 && out.length) resolve(Buffer.concat(out));
      else if (code !== null) reject(new ApiError(422, 'media_conversion_failed', `Could not convert the audio to a voice note: ${Buffer.concat(err).toString().trim().split('\n').pop() || `ffmpeg exited with ${code}`}`, { field }));
    });
    child.stdin.end(data);
  });
}
