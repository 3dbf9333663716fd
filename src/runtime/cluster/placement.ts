/**
 * cluster/placement: which sessions a runtime should take or hand over, decided from what all runtimes see in Redis
 * (no leader). Each runtime aims at the fair share, ceil(sessions / runtimes); it takes free sessions while below
 * it, preferring those it ranks first on (rendezvous hashing, so runtimes rarely reach for the same session), and
 * hands over at most `maxMoves` per round while above it and another runtime is below the floor, so a new runtime
 * gets its share gradually and nothing moves back and forth.
 */
import { createHash } from 'node:crypto';

export interface PlacementInput {
  me: string;
  /** Live runtimes (heartbeat not expired), including this one. */
  runtimes: string[];
  /** Sessions that should be running. */
  sessions: string[];
  /** Session → owning runtime, for the sessions that have a lease. */
  owners: Map<string, string>;
  maxMoves: number;
}

export interface Placement {
  /** Free sessions to try to take, best first. */
  acquire: string[];
  /** Own sessions to hand over now. */
  release: string[];
}

function score(session: string, runtime: string): number {
  return createHash('sha1').update(`${session}\u0000${runtime}`).digest().readUInt32BE(0);
}

/** The runtime the session ranks first among `runtimes`. */
function preferred(session: string, runtimes: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const runtime of runtimes) {
    const s = score(session, runtime);
    if (s > bestScore) [best, bestScore] = [runtime, s];
  }
  return best;
}

export function place(input: PlacementInput): Placement {
  const { me, sessions, owners, maxMoves } = input;
  const runtimes = input.runtimes.includes(me) ? input.runtimes : [...input.runtimes, me];
  if (!sessions.length) return { acquire: [], release: [] };
  const share = Math.ceil(sessions.length / runtimes.length);
  const floor = Math.floor(sessions.length / runtimes.length);
  const counts = new Map(runtimes.map((r) => [r, 0]));
  for (const session of sessions) {
    const owner = owners.get(session);
    if (owner && counts.has(owner)) counts.set(owner, counts.get(owner)! + 1);
  }
  const mine = sessions.filter((s) => owners.get(s) === me);
  const byPreference = (list: string[]) =>
    list
      .map((session) => ({ session, first: preferred(session, runtimes) === me, s: score(session, me) }))
      .sort((a, b) => Number(b.first) - Number(a.first) || b.s - a.s)
      .map((entry) => entry.session);
  const free = sessions.filter((s) => !owners.has(s));
  const acquire = mine.length < share ? byPreference(free).slice(0, share - mine.length) : [];
  const someoneLow = runtimes.some((r) => r !== me && counts.get(r)! < floor);
  // when sessions do not divide evenly, only `remainder` runtimes can hold the share; the others hold the floor
  const remainder = sessions.length - floor * runtimes.length;
  const atShare = runtimes.filter((r) => counts.get(r)! >= share).length;
  const overloaded = mine.length > share || (share > floor && mine.length === share && atShare > remainder);
  const release = overloaded && someoneLow ? byPreference(mine).reverse().slice(0, maxMoves) : [];
  return { acquire, release };
}
