/**
 * usage/requests: the request log. One entry per API request: route template (never the URL: no query strings, no
 * ids in the path), method, status, duration, request and response bytes, key id, address, user agent and error
 * code; no bodies. Entries are written in batches (a store write per request would tax every send) and expire
 * after the request-log retention; queries see everything recorded so far, newest first.
 */
import type { Page, SequenceLog } from '../store/sequence-log';

export interface RequestEntry {
  seq: number;
  at: string;
  method: string;
  route: string;
  status: number;
  ms: number;
  requestBytes: number;
  responseBytes: number;
  keyId?: string;
  session?: string;
  ip?: string;
  userAgent?: string;
  errorCode?: string;
}

export interface RequestQuery {
  before?: number;
  limit: number;
  route?: string;
  method?: string;
  status?: number;
  statusClass?: '2xx' | '3xx' | '4xx' | '5xx';
  key?: string;
  session?: string;
  from?: string;
  to?: string;
}

const BATCH_MS = 1000;

export class RequestLog {
  private pending: RequestEntry[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: SequenceLog<RequestEntry>,
    private readonly now: () => number = Date.now,
  ) {}

  record(entry: Omit<RequestEntry, 'seq' | 'at'>): void {
    this.pending.push({ seq: this.log.next(), at: new Date(this.now()).toISOString(), ...entry });
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), BATCH_MS).unref();
  }

  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    if (batch.length) this.flushing = this.flushing.then(() => this.log.write(batch));
    return this.flushing;
  }

  async query(query: RequestQuery): Promise<Page<RequestEntry>> {
    await this.flush();
    return this.log.before(query.before, query.limit, (entry) => matches(entry, query));
  }

  stop(): Promise<void> {
    return this.flush();
  }
}

function matches(entry: RequestEntry, query: RequestQuery): boolean {
  if (query.route && entry.route !== query.route) return false;
  if (query.method && entry.method !== query.method.toUpperCase()) return false;
  if (query.status !== undefined && entry.status !== query.status) return false;
  if (query.statusClass && `${Math.floor(entry.status / 100)}xx` !== query.statusClass) return false;
  if (query.key && entry.keyId !== query.key) return false;
  if (query.session && entry.session !== query.session) return false;
  if (query.from && entry.at < query.from) return false;
  if (query.to && entry.at >= query.to) return false;
  return true;
}
