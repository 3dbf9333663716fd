/**
 * audit/: the append-only audit log: who (a key, or the system), did what, to which object, from where, with what
 * result, and when. Entries are keyed by a zero-padded sequence number and expire with the audit retention; they
 * never hold secrets or message content. Failed authentications are logged at most once a minute per address, with
 * the count of the failures in between.
 */
import type { Page, SequenceLog } from '../store/sequence-log';
import type { KeyActor } from '../auth/api-keys';
import type { EventBus } from '../events/bus';

export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  /** `grant`: an OAuth client acting for the admin who consented. */
  actor: ({ type: 'key' | 'grant' } & KeyActor) | { type: 'system' } | { type: 'anonymous' };
  action: string;
  target?: { type: string; id: string };
  session?: string;
  ip?: string;
  userAgent?: string;
  result: 'success' | 'failure' | 'denied';
  /** HTTP status of the request that did it, when it came through the API. */
  status?: number;
  details?: Record<string, string | number | boolean | string[] | null>;
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'id' | 'at'>;

export interface AuditQuery {
  /** Entries older than this cursor (an entry's `seq`); newest first. */
  before?: number;
  limit: number;
  action?: string;
  actor?: string;
  session?: string;
  result?: AuditEntry['result'];
  from?: string;
  to?: string;
}

const AUTH_FAILURE_WINDOW_MS = 60_000;

export class AuditLog {
  private readonly failures = new Map<string, { since: number; count: number }>();
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly log: SequenceLog<AuditEntry>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends in order; resolves once the entry is stored. */
  record(input: AuditInput): Promise<AuditEntry> {
    const seq = this.log.next();
    const entry: AuditEntry = { seq, id: `au_${seq}`, at: new Date(this.now()).toISOString(), ...input };
    const write = this.writing.then(() => this.log.write([entry]));
    this.writing = write.catch(() => undefined);
    return write.then(() => entry);
  }

  /** A refused key: the first from an address in a minute is logged, the rest are counted into the next entry. */
  async authenticationFailed(input: { ip?: string; userAgent?: string; reason: string; keyId?: string }): Promise<void> {
    const address = input.ip ?? 'unknown';
    const now = this.now();
    const window = this.failures.get(address);
    if (window && now - window.since < AUTH_FAILURE_WINDOW_MS) {
      window.count++;
      return;
    }
    this.failures.set(address, { since: now, count: 0 });
    if (this.failures.size > 10_000) this.failures.clear();
    await this.record({
      actor: { type: 'anonymous' },
      action: 'auth.failed',
      ...(input.keyId && { target: { type: 'key', id: input.keyId } }),
      ...(input.ip && { ip: input.ip }),
      ...(input.userAgent && { userAgent: input.userAgent }),
      result: 'failure',
      details: { reason: input.reason, suppressedSinceLast: window?.count ?? 0 },
    });
  }

  async query(query: AuditQuery): Promise<Page<AuditEntry>> {
    await this.writing;
    return this.log.before(query.before, query.limit, (entry) => matchesQuery(entry, query));
  }

  /** Session status changes that nobody asked for through the API: a link completed, WhatsApp logged the number out. */
  watch(bus: EventBus): () => void {
    const linking = new Set<string>();
    const last = new Map<string, string>();
    return bus.subscribe((event) => {
      if (event.type !== 'session.status' || !event.session) return;
      const data = event.data as { status: string; me?: { phoneNumber?: string } };
      const previous = last.get(event.session);
      last.set(event.session, data.status);
      // a link shows a QR or code, then WhatsApp restarts the connection once before it is connected
      if (data.status === 'qr' || data.status === 'pairing_code') linking.add(event.session);
      else if (data.status === 'connected' && linking.delete(event.session)) {
        void this.record({ actor: { type: 'system' }, action: 'session.linked', target: { type: 'session', id: event.session }, session: event.session, result: 'success', details: { phoneNumber: data.me?.phoneNumber ?? null } });
      } else if (data.status === 'logged_out' && previous !== 'logged_out') {
        linking.delete(event.session);
        void this.record({ actor: { type: 'system' }, action: 'session.logged_out', target: { type: 'session', id: event.session }, session: event.session, result: 'success' });
      }
    });
  }
}

function matchesQuery(entry: AuditEntry, query: AuditQuery): boolean {
  if (query.action && !(entry.action === query.action || (query.action.endsWith('.*') && entry.action.startsWith(query.action.slice(0, -1))))) return false;
  if (query.actor && !(entry.actor.type === 'key' ? entry.actor.id === query.actor : entry.actor.type === query.actor)) return false;
  if (query.session && entry.session !== query.session) return false;
  if (query.result && entry.result !== query.result) return false;
  if (query.from && entry.at < query.from) return false;
  if (query.to && entry.at >= query.to) return false;
  return true;
}
