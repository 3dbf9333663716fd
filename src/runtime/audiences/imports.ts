/**
 * audiences/imports: CSV imports into a contact list, in two steps. The upload is kept (0600, in the data folder)
 * and answered with its shape (`csv.ts`) and the job id; starting the job with a column mapping reads the file as
 * a stream (csv-parse), row by row into the list (a number already there is updated, never duplicated), emitting
 * `contact_list.import` progress, and keeps a report of every skipped row and why. Then, when the session is
 * connected, the imported numbers are checked on WhatsApp in batches. A failed import says how far it got.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import { parse } from 'csv-parse';
import type { CountryCode } from 'libphonenumber-js';
import type { EventBus } from '../events/bus';
import { ApiError } from '../errors';
import { ContactRefused, type ContactList, type ContactLists, type SkipReason } from './lists';
import { sniff, type CsvShape } from './csv';
import { countryOf, digitsOf } from './phones';

export interface ImportMapping {
  /** The column holding the phone number. */
  phone: string;
  name?: string;
  /** Column → field name. */
  fields?: Record<string, string>;
  /** A column of comma-separated tags. */
  tags?: string;
  /** Tags given to every imported contact. */
  addTags?: string[];
}

export type ImportStatus = 'uploaded' | 'running' | 'checking' | 'completed' | 'failed';

export interface ImportCounts {
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  checked: number;
}

export interface ImportJob {
  id: string;
  session: string;
  listId: string;
  status: ImportStatus;
  fileName?: string;
  bytes: number;
  shape: CsvShape;
  mapping?: ImportMapping;
  defaultCountry?: CountryCode;
  checkWhatsApp?: boolean;
  counts: ImportCounts;
  error?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface SkippedRow {
  /** The line of the file (the header is line 1). */
  line: number;
  phone: string;
  reason: SkipReason;
  message: string;
}

export interface ImportDeps {
  jobs: Keyv<ImportJob>;
  reports: Keyv<SkippedRow[]>;
  lists: ContactLists;
  bus: EventBus;
  logger: Logger;
  /** Folder for uploads being imported (created 0700). */
  folder: string;
  /** Checks numbers on WhatsApp (undefined when the session is not connected): the E.164 numbers that are. */
  checkOnWhatsApp(session: string, phones: string[]): Promise<Set<string> | undefined>;
}

const PROGRESS_EVERY = 1000;
const CHECK_BATCH = 50;
const CHECK_PAUSE_MS = 250;
const REPORT_CAP = 100_000;

export class ImportJobs {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: ImportDeps) {}

  /** Keeps an uploaded file (already written to the upload's path by the caller) and reads its shape. */
  async uploaded(list: ContactList, upload: { id: string; path: string }, fileName: string | undefined): Promise<ImportJob> {
    const { path } = upload;
    const { size } = await stat(path);
    const shape = await sniff(path, 'file').catch(async (error: unknown) => {
      await rm(path, { force: true });
      throw error;
    });
    const job: ImportJob = {
      id: upload.id,
      session: list.session,
      listId: list.id,
      status: 'uploaded',
      ...(fileName && { fileName }),
      bytes: size,
      shape,
      counts: { processed: 0, created: 0, updated: 0, skipped: 0, checked: 0 },
      createdAt: new Date().toISOString(),
    };
    await this.deps.jobs.set(job.id, job, 7 * 86_400_000);
    return job;
  }

  /** A new import's id and where its upload goes. */
  async newUpload(): Promise<{ id: string; path: string }> {
    await mkdir(this.deps.folder, { recursive: true, mode: 0o700 });
    const id = `imp_${randomBytes(8).toString('hex')}`;
    return { id, path: this.pathOf(id) };
  }

  private pathOf(id: string): string {
    return join(this.deps.folder, `${id}.csv`);
  }

  async get(list: ContactList, id: string): Promise<ImportJob> {
    const job = await this.deps.jobs.get(id);
    if (!job || job.listId !== list.id) throw new ApiError(404, 'import_not_found', `No import "${id}" for the list "${list.name}"`);
    return job;
  }

  async report(job: ImportJob): Promise<SkippedRow[]> {
    return (await this.deps.reports.get(job.id)) ?? [];
  }

  /** Checks the mapping against the file's header and starts the import in the background. */
  async start(list: ContactList, job: ImportJob, input: { mapping: ImportMapping; defaultCountry?: string; checkWhatsApp?: boolean }): Promise<ImportJob> {
    if (job.status !== 'uploaded') throw new ApiError(409, 'import_started', `This import is ${job.status}: upload the file again for another import`);
    const headers = job.shape.headers;
    const column = (name: string, field: string) => {
      if (!headers.includes(name)) throw new ApiError(400, 'unknown_column', `The file has no column "${name}" (it has ${headers.map((h) => `"${h}"`).join(', ')})`, { field });
    };
    column(input.mapping.phone, 'mapping.phone');
    if (input.mapping.name !== undefined) column(input.mapping.name, 'mapping.name');
    if (input.mapping.tags !== undefined) column(input.mapping.tags, 'mapping.tags');
    for (const [name, target] of Object.entries(input.mapping.fields ?? {})) {
      column(name, `mapping.fields.${name}`);
      if (list.strictFields && !list.fields.some((f) => f.name === target)) throw new ApiError(400, 'unknown_field', `The list declares no field "${target}"`, { field: `mapping.fields.${name}` });
    }
    const started: ImportJob = {
      ...job,
      status: 'running',
      mapping: input.mapping,
      ...(input.defaultCountry && { defaultCountry: countryOf(input.defaultCountry, 'defaultCountry') }),
      checkWhatsApp: input.checkWhatsApp ?? true,
      startedAt: new Date().toISOString(),
    };
    await this.deps.jobs.set(job.id, started, 7 * 86_400_000);
    const work = this.run(list, started).finally(() => this.running.delete(work));
    this.running.add(work);
    return started;
  }

  /** Waits for the imports in progress (at shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async run(list: ContactList, job: ImportJob): Promise<void> {
    const { lists } = this.deps;
    const path = this.pathOf(job.id);
    const skipped: SkippedRow[] = [];
    // digits as numbers (E.164 has at most 15, exact in a double): a third of the memory of strings
    const seen = new Set<number>();
    const touched: string[] = [];
    const mapping = job.mapping!;
    try {
      const parser = createReadStream(path, { encoding: job.shape.encoding === 'utf-8' ? 'utf8' : 'latin1' }).pipe(parse({ delimiter: job.shape.delimiter, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true }));
      let header: string[] | undefined;
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        if (!header) {
          header = record.map((h) => h.trim());
          continue;
        }
        const cell = (name: string) => record[header!.indexOf(name)]?.trim() ?? '';
        const phone = cell(mapping.phone);
        job.counts.processed++;
        try {
          const fields = Object.fromEntries(Object.entries(mapping.fields ?? {}).map(([columnName, field]) => [field, cell(columnName)]));
          const tags = [...(mapping.tags ? cell(mapping.tags).split(',') : []), ...(mapping.addTags ?? [])];
          const prepared = lists.prepare(list, { phone, ...(mapping.name && { name: cell(mapping.name) }), fields, tags }, { defaultCountry: job.defaultCountry, fromText: true });
          const digits = Number(digitsOf(prepared.phone));
          if (seen.has(digits)) throw new ContactRefused('duplicate', `${prepared.phone} is already on an earlier line of this file`);
          seen.add(digits);
          const { created } = await lists.put(list, prepared, { mergeTags: true });
          if (created) job.counts.created++;
          else job.counts.updated++;
          if (job.checkWhatsApp) touched.push(prepared.phone);
        } catch (error) {
          if (!(error instanceof ContactRefused)) throw error;
          job.counts.skipped++;
          if (skipped.length < REPORT_CAP) skipped.push({ line: info.lines, phone, reason: error.reason, message: error.message });
        }
        if (job.counts.processed % PROGRESS_EVERY === 0) await this.progress(job);
      }
      await this.deps.reports.set(job.id, skipped, 7 * 86_400_000);
      if (job.checkWhatsApp) await this.check(list, job, touched);
      await this.finish(job, 'completed');
    } catch (error) {
      this.deps.logger.warn({ err: error, importId: job.id }, 'contact import failed');
      await this.deps.reports.set(job.id, skipped, 7 * 86_400_000);
      await this.finish(job, 'failed', (error as Error).message);
    } finally {
      await rm(path, { force: true });
    }
  }

  private async check(list: ContactList, job: ImportJob, phones: string[]): Promise<void> {
    job.status = 'checking';
    await this.progress(job);
    for (let start = 0; start < phones.length; start += CHECK_BATCH) {
      const batch = phones.slice(start, start + CHECK_BATCH);
      const found = await this.deps.checkOnWhatsApp(job.session, batch);
      // not connected: the numbers stay "unknown" and can be checked later
      if (!found) return;
      for (const phone of batch) await this.deps.lists.setWhatsApp(list, digitsOf(phone), found.has(phone) ? 'on_whatsapp' : 'not_on_whatsapp');
      job.counts.checked += batch.length;
      await this.progress(job);
      if (start + CHECK_BATCH < phones.length) await new Promise((resolve) => setTimeout(resolve, CHECK_PAUSE_MS));
    }
  }

  private async progress(job: ImportJob): Promise<void> {
    await this.deps.jobs.set(job.id, job, 7 * 86_400_000);
    await this.deps.bus.publish('contact_list.import', job.session, { listId: job.listId, importId: job.id, status: job.status as 'running' | 'checking', ...job.counts });
  }

  private async finish(job: ImportJob, status: 'completed' | 'failed', error?: string): Promise<void> {
    job.status = status;
    job.finishedAt = new Date().toISOString();
    if (error) job.error = error;
    await this.deps.jobs.set(job.id, job, 7 * 86_400_000);
    await this.deps.bus.publish('contact_list.import', job.session, { listId: job.listId, importId: job.id, status, ...job.counts, ...(error && { error }) });
  }
}
