/**
 * cluster/: several runtimes on one Redis, one owner per session. The coordinator announces this runtime
 * (heartbeat), holds the leases of the sessions it runs (renewed every third of their TTL), takes its share of the
 * sessions that should run and hands over the surplus (`placement.ts`), and gives every write of a session's
 * WhatsApp state the session's lease to check (fencing). A lease another runtime took ends the socket here at once;
 * a Redis outage changes nothing (sessions keep running where they are, nobody takes any over) until it is back.
 */
import type { Logger } from 'pino';
import { ApiError } from '../errors';
import type { SessionManager } from '../sessions/manager';
import type { SessionOwnership, SessionView } from '../sessions/types';
import type { WriteGuard } from '../store';
import { leaseKey, leaseValue, type Lease, type LeaseStore, type RuntimeInfo } from './leases';
import { place } from './placement';

export interface ClusterOptions {
  id: string;
  /** Base URL this runtime's API is reached at by the others. */
  address: () => string;
  leaseTtlMs: number;
  /** Time a graceful hand-over gives the session's batches in flight. */
  drainMs: number;
}

/** What the layers above do when the cluster changes under them. */
export interface ClusterHooks {
  /** The session now runs here: what other runtimes left of it (campaigns, queue, waits) is read again. */
  taken?(session: string): Promise<void>;
  /** Every round: catch up with what other runtimes changed (webhooks). */
  round?(): Promise<void>;
  /** Deliver what the runtime `id`, gone without a graceful stop, left in its outbox; resolves when done. */
  adopt?(id: string): Promise<void>;
  /** The session's socket is closed here: resolve once its events are delivered (a hand-over waits at most `drainMs`). */
  drained?(session: string, withinMs: number): Promise<void>;
}

/**
 * How long sessions wait to be taken while a gone runtime's outbox is being delivered: its events of a chat go
 * before the new owner's, unless the delivery takes longer than this (a webhook down).
 */
const ADOPTION_HOLD_MS = 10_000;
/** Rounds come this often while takes wait for an adoption. */
const HOLD_ROUND_MS = 250;
/** Sessions opened at once by one runtime taking several (measured: 60 sessions on 3 runtimes, see scaling.md). */
const TAKE_CONCURRENCY = 4;

export interface ClusterCounters {
  acquired: number;
  released: number;
  lost: number;
  /** Sessions taken here after their owner's lease expired unreleased (it died or was cut off): failovers. */
  takenOver: number;
  /** Outboxes of runtimes that died, delivered here. */
  adopted: number;
}

export interface ClusterView {
  me: string;
  runtimes: (RuntimeInfo & { heartbeatAgeMs: number; sessions: number })[];
  sessions: { id: string; owner: string | null; token: number | null }[];
  counters: ClusterCounters;
}

export class ClusterCoordinator implements SessionOwnership {
  private readonly owned = new Map<string, Lease>();
  private manager: SessionManager | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> = Promise.resolve();
  private readonly startedAt = new Date().toISOString();
  private stopping = false;
  private hooks: ClusterHooks = {};
  readonly counters: ClusterCounters = { acquired: 0, released: 0, lost: 0, takenOver: 0, adopted: 0 };
  private adopting: Promise<void> | undefined;
  /** Gone runtimes not forgotten yet → when this runtime first saw them gone. */
  private readonly goneSince = new Map<string, number>();
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(private readonly leases: LeaseStore, private readonly options: ClusterOptions, private readonly logger: Logger) {}

  get id(): string {
    return this.options.id;
  }

  /** How many sessions this runtime holds, with its counters (metrics). */
  figures(): ClusterCounters & { owned: number } {
    return { owned: this.owned.size, ...this.counters };
  }

  guard(session: string): WriteGuard {
    return () => {
      const lease = this.owned.get(session);
      return lease && { key: leaseKey(session), value: leaseValue(lease) };
    };
  }

  async claim(session: string): Promise<void> {
    if (this.owned.has(session)) return;
    if (this.stopping) throw new ApiError(503, 'runtime_stopping', 'This runtime is stopping; try again on another one');
    const lease = await this.leases.acquire(session, this.id, this.options.leaseTtlMs);
    if (!lease) {
      const owner = (await this.leases.owners([session])).get(session);
      throw new ApiError(409, 'session_owned_elsewhere', `The session "${session}" runs on runtime "${owner?.runtime ?? 'unknown'}"; send the request there (forwarding does this)`);
    }
    this.owned.set(session, lease);
    this.counters.acquired++;
  }

  /** Publishes the views of the sessions given (those that run here) for the other runtimes' session lists. */
  async publishViews(sessions: string[] = [...this.owned.keys()]): Promise<void> {
    const views = new Map<string, SessionView>();
    for (const id of sessions) {
      const session = this.owned.has(id) ? this.manager?.find(id) : undefined;
      if (session) views.set(id, session.view());
    }
    await this.leases.publishViews(views);
  }

  /** The views of those of `sessions` that run elsewhere, as their owners last published them. */
  async remoteViews(sessions: string[]): Promise<Map<string, SessionView>> {
    return (await this.leases.views(sessions.filter((id) => !this.owned.has(id)))) as Map<string, SessionView>;
  }

  /** A deleted session leaves no view behind. */
  async dropView(session: string): Promise<void> {
    await this.leases.dropView(session);
  }

  /** Whether the session runs here. */
  owns(session: string): boolean {
    return this.owned.has(session);
  }

  /** The address of the runtime that owns the session, when that is another live runtime. */
  async ownerAddress(session: string): Promise<string | undefined> {
    if (this.owned.has(session)) return undefined;
    const owner = (await this.leases.owners([session])).get(session);
    if (!owner || owner.runtime === this.id) return undefined;
    return (await this.leases.membership()).live.find((r) => r.id === owner.runtime)?.address;
  }

  async start(manager: SessionManager, hooks: ClusterHooks = {}): Promise<void> {
    this.manager = manager;
    this.hooks = hooks;
    await this.renewRound();
    const every = Math.max(50, Math.floor(this.options.leaseTtlMs / 3));
    // renewals run from here on, also through the first placement round (it may open many sessions)
    this.renewTimer = setInterval(() => {
      this.renewing = this.renewing.then(() => this.renewRound()).catch((error: unknown) => this.logger.warn({ err: error }, 'cluster: renewing the leases failed'));
    }, every);
    this.renewTimer.unref();
    await this.tick();
    this.timer = setInterval(() => this.round(), every);
    this.timer.unref();
  }

  private round(): void {
    this.ticking = this.ticking.then(() => this.tick()).catch((error: unknown) => this.logger.warn({ err: error }, 'cluster round failed'));
  }

  /** Hands every session over: socket closed and batches drained first, then the lease released. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearInterval(this.renewTimer);
    clearTimeout(this.holdTimer);
    await this.ticking.catch(() => undefined);
    await this.renewing.catch(() => undefined);
    await Promise.all([...this.owned.keys()].map((session) => this.handOver(session)));
    await this.adopting?.catch(() => undefined);
    await this.leases.leave(this.id).catch(() => undefined);
  }

  async view(): Promise<ClusterView> {
    const runtimes = (await this.leases.membership()).live;
    const ids = this.manager?.list().map((s) => s.id) ?? [];
    const owners = await this.leases.owners(ids);
    const now = Date.now();
    return {
      me: this.id,
      runtimes: runtimes
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((r) => ({ ...r, heartbeatAgeMs: Math.max(0, now - r.at), sessions: [...owners.values()].filter((l) => l.runtime === r.id).length })),
      sessions: ids.sort().map((id) => ({ id, owner: owners.get(id)?.runtime ?? null, token: owners.get(id)?.token ?? null })),
      counters: { ...this.counters },
    };
  }

  private async heartbeat(): Promise<void> {
    await this.leases.heartbeat({ id: this.id, address: this.options.address(), startedAt: this.startedAt, at: Date.now() }, this.options.leaseTtlMs);
  }

  /**
   * Heartbeat and lease renewals, on their own timer: a placement round that takes many sessions (each opened before
   * the next) must never delay them past the TTL, or every lease here would expire under it.
   */
  private async renewRound(): Promise<void> {
    const manager = this.manager;
    if (!manager || this.stopping) return;
    await this.heartbeat();
    const held = [...this.owned];
    const renewed = await Promise.all(held.map(([session, lease]) => this.leases.renew(session, lease, this.options.leaseTtlMs)));
    for (const [index, [session, lease]] of held.entries()) {
      // handed over meanwhile: not lost
      if (renewed[index] || this.owned.get(session) !== lease) continue;
      this.owned.delete(session);
      this.counters.lost++;
      this.logger.warn({ session }, 'lost the session\'s lease: its socket ends here');
      // the socket ends now; waiting for its close handshake must not hold up the next renewals
      void (async () => {
        await manager.find(session)?.shutdown(0);
        await manager.reload(session);
      })().catch((error: unknown) => this.logger.warn({ err: error, session }, 'could not close a session whose lease was lost'));
    }
  }

  private async tick(): Promise<void> {
    const manager = this.manager;
    if (!manager || this.stopping) return;
    await this.hooks.round?.();
    await this.publishViews();
    const running = await manager.sync();
    const shouldRun = new Set(running);
    // a session stopped or deleted through the API gives its lease back
    for (const session of [...this.owned.keys()]) {
      if (!shouldRun.has(session) && !manager.find(session)?.isRunning) await this.release(session);
    }
    const owners = await this.leases.owners(running);
    const { live, gone } = await this.leases.membership();
    const runtimes = live.map((r) => r.id);
    const plan = place({ me: this.id, runtimes, sessions: running, owners: new Map([...owners].map(([s, l]) => [s, l.runtime])), maxMoves: 1 });
    // a session being linked (QR, pairing code) or connecting stays where it is: moving it would start over
    for (const session of plan.release) {
      if (manager.find(session)?.status === 'connected') await this.handOver(session);
    }
    if (gone.length && !this.adopting) this.adopting = this.adopt(gone).finally(() => (this.adopting = undefined));
    if (this.holdingForAdoption(gone)) return;
    // a few at a time: after a failover each runtime opens its part of the dead one's sessions
    const toTake = [...plan.acquire];
    await Promise.all(Array.from({ length: Math.min(TAKE_CONCURRENCY, toTake.length) }, async () => {
      for (let session = toTake.shift(); session; session = toTake.shift()) await this.take(session);
    }));
  }

  /**
   * Whether takes wait this round: a runtime that died left events in its outbox, and the sessions it owned (which
   * are among those to take) must not deliver newer events of a chat before those are out. Rounds come quickly
   * meanwhile, so the take follows the adoption closely.
   */
  private holdingForAdoption(gone: string[]): boolean {
    const now = Date.now();
    for (const id of this.goneSince.keys()) if (!gone.includes(id)) this.goneSince.delete(id);
    for (const id of gone) if (!this.goneSince.has(id)) this.goneSince.set(id, now);
    const holding = [...this.goneSince.values()].some((since) => now - since < ADOPTION_HOLD_MS);
    if (holding && !this.holdTimer) {
      this.holdTimer = setTimeout(() => {
        this.holdTimer = undefined;
        this.round();
      }, HOLD_ROUND_MS);
    }
    return holding;
  }

  /** One runtime at a time takes each gone runtime's outbox (a lease on it), delivers it, and forgets the runtime. */
  private async adopt(gone: string[]): Promise<void> {
    for (const id of gone) {
      const lease = await this.leases.acquire(`outbox@${id}`, this.id, 10 * 60_000);
      if (!lease) continue;
      try {
        await this.hooks.adopt?.(id);
        this.counters.adopted++;
        await this.leases.forget(id);
      } catch (error) {
        this.logger.warn({ err: error, runtime: id }, 'could not deliver the outbox of a runtime that is gone');
      } finally {
        await this.leases.release(`outbox@${id}`, lease);
      }
    }
  }

  private async take(session: string): Promise<void> {
    const lease = await this.leases.acquire(session, this.id, this.options.leaseTtlMs);
    if (!lease) return;
    this.owned.set(session, lease);
    this.counters.acquired++;
    if (lease.takenOver) this.counters.takenOver++;
    // the session as its last owner left it (settings too), before its queue reads its pacing
    const opened = await this.manager?.reload(session);
    await this.hooks.taken?.(session).catch((error: unknown) => this.logger.warn({ err: error, session }, 'could not pick up the queue of a session taken over'));
    await opened?.start().catch((error: unknown) => this.logger.error({ err: error, session }, 'could not open a session taken over'));
  }

  private async handOver(session: string): Promise<void> {
    await this.manager?.find(session)?.shutdown(this.options.drainMs);
    await this.hooks.drained?.(session, this.options.drainMs).catch((error: unknown) => this.logger.warn({ err: error, session }, 'could not wait for the session\'s deliveries'));
    await this.release(session);
    await this.manager?.reload(session);
  }

  private async release(session: string): Promise<void> {
    const lease = this.owned.get(session);
    if (!lease) return;
    this.owned.delete(session);
    this.counters.released++;
    await this.leases.release(session, lease).catch((error: unknown) => this.logger.warn({ err: error, session }, 'could not release a lease (it expires by itself)'));
  }
}
