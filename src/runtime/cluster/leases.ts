/**
 * cluster/leases: who owns which session, on Redis. A lease is one key per session holding "<runtime id> <token>"
 * with a TTL; the token comes from a per-session counter that only grows, so whoever takes a session over holds a
 * larger token than every owner before (the fencing token). Every change is one Lua script, atomic on Redis.
 * Runtimes announce themselves with a heartbeat key of the same kind.
 */
import { createClient } from '@redis/client';

export interface RuntimeInfo {
  id: string;
  /** Base URL other runtimes forward requests to. */
  address: string;
  startedAt: string;
  /** When the heartbeat was written (ms since the epoch). */
  at: number;
}

export interface Lease {
  runtime: string;
  token: number;
  /** Taken after an owner that did not hand it back (its lease expired: a failover); only set by `acquire`. */
  takenOver?: boolean;
}

const PREFIX = 'wa:cluster:';
export const leaseKey = (session: string) => `${PREFIX}lease:${session}`;
const fenceKey = (session: string) => `${PREFIX}fence:${session}`;
/** Set when an owner hands the session back; a take that finds none after a first owner is a failover. */
const releasedKey = (session: string) => `${PREFIX}released:${session}`;
const runtimeKey = (id: string) => `${PREFIX}runtime:${id}`;
/** Each session's view (status, identity, settings) as its owner last published it: session id → JSON. */
const VIEWS = `${PREFIX}views`;
/** Every runtime that ever joined and has not been cleaned up after: those without a heartbeat are gone. */
const MEMBERS = `${PREFIX}members`;

const ACQUIRE = `if redis.call('EXISTS', KEYS[1]) == 1 then return {0, 0} end
local token = redis.call('INCR', KEYS[2])
local released = redis.call('DEL', KEYS[3])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return {token, released}`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], '1')
  return redis.call('DEL', KEYS[1])
end
return 0`;

export function leaseValue(lease: Lease): string {
  return `${lease.runtime} ${lease.token}`;
}

function parseLease(value: string | null): Lease | undefined {
  if (!value) return undefined;
  const [runtime, token] = value.split(' ');
  return runtime && token ? { runtime, token: Number.parseInt(token, 10) } : undefined;
}

export class LeaseStore {
  private readonly client: ReturnType<typeof createClient>;

  constructor(redisUrl: string, onError: (error: Error) => void) {
    // a lost connection is retried by the client; commands fail fast meanwhile instead of queueing for minutes
    this.client = createClient({ url: redisUrl, disableOfflineQueue: true, socket: { reconnectStrategy: (retries) => Math.min(retries * 200, 2000) } });
    this.client.on('error', onError);
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close();
  }

  /** Takes the session if nobody holds it: the new lease, or undefined. */
  async acquire(session: string, runtime: string, ttlMs: number): Promise<Lease | undefined> {
    const [token, released] = (await this.client.eval(ACQUIRE, { keys: [leaseKey(session), fenceKey(session), releasedKey(session)], arguments: [runtime, String(ttlMs)] })) as [number, number];
    return token > 0 ? { runtime, token, ...(token > 1 && !released && { takenOver: true }) } : undefined;
  }

  /** Extends a lease still held; false when it expired or another runtime holds the session now. */
  async renew(session: string, lease: Lease, ttlMs: number): Promise<boolean> {
    return Number(await this.client.eval(RENEW, { keys: [leaseKey(session)], arguments: [leaseValue(lease), String(ttlMs)] })) === 1;
  }

  async release(session: string, lease: Lease): Promise<void> {
    await this.client.eval(RELEASE, { keys: [leaseKey(session), releasedKey(session)], arguments: [leaseValue(lease)] });
  }

  /** The current lease of each session asked about (absent: nobody owns it). */
  async owners(sessions: string[]): Promise<Map<string, Lease>> {
    const owners = new Map<string, Lease>();
    if (!sessions.length) return owners;
    const values = await this.client.mGet(sessions.map(leaseKey));
    values.forEach((value, index) => {
      const lease = parseLease(value);
      if (lease) owners.set(sessions[index], lease);
    });
    return owners;
  }

  /**
   * Announces the runtime: heartbeat first, then membership (a member without a heartbeat is taken for gone and its
   * outbox adopted), every round, so a runtime forgotten while it was briefly away is a member again.
   */
  async heartbeat(info: RuntimeInfo, ttlMs: number): Promise<void> {
    await this.client.set(runtimeKey(info.id), JSON.stringify(info), { PX: ttlMs });
    await this.client.sAdd(MEMBERS, info.id);
  }

  /** Leaves for good: heartbeat and membership (a graceful stop left nothing behind to adopt). */
  async leave(id: string): Promise<void> {
    await this.client.del(runtimeKey(id));
    await this.client.sRem(MEMBERS, id);
  }

  /** A runtime gone for good whose outbox was delivered: no longer a member (its heartbeat expired already). */
  async forget(id: string): Promise<void> {
    await this.client.sRem(MEMBERS, id);
  }

  /**
   * The members whose heartbeat has not expired (with what they announced) and those without one: gone without a
   * graceful stop. Read from the members set, never by scanning the keyspace (which holds every session's keys).
   */
  async membership(): Promise<{ live: RuntimeInfo[]; gone: string[] }> {
    const members = await this.client.sMembers(MEMBERS);
    if (!members.length) return { live: [], gone: [] };
    const values = await this.client.mGet(members.map(runtimeKey));
    const live: RuntimeInfo[] = [];
    const gone: string[] = [];
    values.forEach((value, index) => (value ? live.push(JSON.parse(value) as RuntimeInfo) : gone.push(members[index])));
    return { live, gone };
  }

  async publishViews(views: Map<string, unknown>): Promise<void> {
    if (views.size) await this.client.hSet(VIEWS, Object.fromEntries([...views].map(([id, view]) => [id, JSON.stringify(view)])));
  }

  async views(sessions: string[]): Promise<Map<string, unknown>> {
    const views = new Map<string, unknown>();
    if (!sessions.length) return views;
    const values = await this.client.hmGet(VIEWS, sessions);
    values.forEach((value, index) => value && views.set(sessions[index], JSON.parse(value)));
    return views;
  }

  async dropView(session: string): Promise<void> {
    await this.client.hDel(VIEWS, session);
  }
}
