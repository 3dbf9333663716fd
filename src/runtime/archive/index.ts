/**
 * archive/: exports a session as a zip of NDJSON files, streamed: `session.json` (the session and its settings, never
 * credentials), `chats.ndjson`, `messages.ndjson` (in the event schema's message shape), `contacts.ndjson`,
 * `groups.ndjson`, `events.ndjson` (the session's retained events), and with `media: 'files'` the media of its
 * messages under `media/` (failures listed in `media-errors.ndjson`). Every file is produced while the archive is
 * read, a page at a time, so an export takes the same memory for ten messages or a million, and pauses while the
 * reader does. Progress of each export is kept in memory (the last few per session).
 */
import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { Logger } from 'pino';
import type { Baileys } from '../whatsapp/baileys';
import type { Session } from '../sessions/session';
import type { Outbox } from '../delivery/outbox';
import type { ChatRecord } from '../chats/store';
import { keyAddresses, normalizeMessage } from '../events/normalize';
import type { MessageEventData } from '../events/schema';
import { extensionOf } from '../messages/media-input';

export type MediaChoice = 'references' | 'files';

export interface ExportProgress {
  id: string;
  session: string;
  media: MediaChoice;
  status: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt?: string;
  counts: { chats: number; messages: number; contacts: number; groups: number; events: number; mediaFiles: number; mediaErrors: number };
  error?: string;
}

const PAGE = 100;
const KEPT_PER_SESSION = 10;

export class SessionExporter {
  private readonly exports = new Map<string, ExportProgress[]>();

  constructor(private readonly deps: { b: Baileys; outbox: Outbox; logger: Logger }) {}

  list(session: string): ExportProgress[] {
    return [...(this.exports.get(session) ?? [])].reverse();
  }

  /** Starts an export; the archive is produced as `stream` is read. */
  start(session: Session, media: MediaChoice): { progress: ExportProgress; stream: NodeJS.ReadableStream } {
    const progress: ExportProgress = { id: `exp_${randomUUID()}`, session: session.id, media, status: 'running', startedAt: new Date().toISOString(), counts: { chats: 0, messages: 0, contacts: 0, groups: 0, events: 0, mediaFiles: 0, mediaErrors: 0 } };
    const kept = [...(this.exports.get(session.id) ?? []), progress].slice(-KEPT_PER_SESSION);
    this.exports.set(session.id, kept);
    const zip = new ZipFile();
    const mediaRefs: MessageEventData[] = [];
    const fail = (error: unknown) => {
      progress.status = 'failed';
      progress.error = (error as Error).message;
      progress.finishedAt = new Date().toISOString();
      this.deps.logger.warn({ session: session.id, export: progress.id, err: error }, 'export failed');
      (zip.outputStream as PassThrough).destroy(error as Error);
    };
    const file = (name: string, lines: AsyncIterable<unknown>, done?: () => void) => {
      const stream = Readable.from(ndjson(lines, done));
      stream.on('error', fail);
      zip.addReadStream(stream, name);
    };

    const { id: _id, ...view } = session.view();
    zip.addBuffer(Buffer.from(JSON.stringify({ id: session.id, ...view, exportedAt: progress.startedAt, media }, null, 2)), 'session.json');
    file('chats.ndjson', this.chats(session, progress));
    file('messages.ndjson', this.messages(session, progress, media === 'files' ? mediaRefs : undefined), () => this.addMedia(session, zip, mediaRefs, progress, fail));
    file('contacts.ndjson', this.contacts(session, progress));
    file('groups.ndjson', this.groups(session, progress));
    file('events.ndjson', this.events(session.id, progress));
    zip.outputStream.on('end', () => {
      if (progress.status !== 'running') return;
      progress.status = 'done';
      progress.finishedAt = new Date().toISOString();
    });
    return { progress, stream: zip.outputStream };
  }

  private async *allChats(session: Session): AsyncGenerator<ChatRecord> {
    for (let offset = 0; ; offset += PAGE) {
      const { chats } = await session.chats.list({ limit: PAGE, offset });
      yield* chats;
      if (chats.length < PAGE) return;
    }
  }

  private async *chats(session: Session, progress: ExportProgress): AsyncGenerator<ChatRecord> {
    for await (const chat of this.allChats(session)) {
      progress.counts.chats++;
      yield chat;
    }
  }

  private async *messages(session: Session, progress: ExportProgress, mediaRefs?: MessageEventData[]): AsyncGenerator<MessageEventData> {
    const me = session.me;
    for await (const chat of this.allChats(session)) {
      let before: string | undefined;
      do {
        const page = await session.chatMessages(chat.id, { limit: PAGE, before });
        for (const message of page.messages) {
          const data = normalizeMessage(this.deps.b, message, message.key.fromMe ? { pn: me?.id, lid: me?.lid } : keyAddresses(this.deps.b, message.key), false);
          progress.counts.messages++;
          if (mediaRefs && data.media) mediaRefs.push({ ...data, text: undefined });
          yield data;
        }
        before = page.nextBefore;
      } while (before);
    }
  }

  private async *contacts(session: Session, progress: ExportProgress): AsyncGenerator<Record<string, unknown>> {
    for await (const chat of this.allChats(session)) {
      if (chat.type !== 'direct') continue;
      progress.counts.contacts++;
      yield { id: chat.id, ...(chat.lid && { lid: chat.lid }), ...(chat.name && { name: chat.name }), ...(chat.id.endsWith('@s.whatsapp.net') && { phoneNumber: chat.id.split('@')[0] }) };
    }
  }

  private async *groups(session: Session, progress: ExportProgress): AsyncGenerator<Record<string, unknown>> {
    for await (const chat of this.allChats(session)) {
      if (chat.type !== 'group') continue;
      const metadata = await session.cachedGroupMetadata(chat.id).catch(() => undefined);
      progress.counts.groups++;
      yield metadata ? { id: chat.id, subject: metadata.subject, owner: metadata.owner ?? null, description: metadata.desc ?? null, participants: metadata.participants.map((p) => ({ id: p.id, admin: p.admin ?? null })) } : { id: chat.id, name: chat.name ?? null, metadata: 'unavailable (the session is not connected)' };
    }
  }

  private async *events(session: string, progress: ExportProgress): AsyncGenerator<unknown> {
    for await (const { event } of this.deps.outbox.eventsAfter(0)) {
      if (event.session !== session) continue;
      progress.counts.events++;
      yield event;
    }
  }

  /** Adds the media files one after the other, each once the one before has been written (one download at a time). */
  private addMedia(session: Session, zip: ZipFile, refs: MessageEventData[], progress: ExportProgress, fail: (error: unknown) => void): void {
    const errors: unknown[] = [];
    const next = async (index: number): Promise<void> => {
      if (index >= refs.length) {
        if (errors.length) zip.addBuffer(Buffer.from(errors.map((e) => JSON.stringify(e)).join('\n') + '\n'), 'media-errors.ndjson');
        zip.end();
        return;
      }
      const ref = refs[index];
      try {
        const message = await session.findMessage(ref.chatId, ref.messageId);
        if (!message) throw new Error('the message is no longer stored');
        const download = await session.downloadMedia(message);
        const entry = new PassThrough();
        entry.on('end', () => {
          progress.counts.mediaFiles++;
          void next(index + 1).catch(fail);
        });
        (download as Readable).on('error', (error) => entry.destroy(error)).pipe(entry);
        entry.on('error', fail);
        const mimetype = ref.media?.mimetype?.split(';')[0] ?? 'application/octet-stream';
        zip.addReadStream(entry, `media/${safeName(ref.messageId)}.${extensionOf(mimetype)}`);
      } catch (error) {
        progress.counts.mediaErrors++;
        errors.push({ messageId: ref.messageId, chatId: ref.chatId, error: (error as Error).message });
        await next(index + 1);
      }
    };
    void next(0).catch(fail);
  }
}

async function* ndjson(lines: AsyncIterable<unknown>, done?: () => void): AsyncGenerator<string> {
  for await (const line of lines) yield `${JSON.stringify(line)}\n`;
  done?.();
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
