/** A clock the test moves by hand: the send queue's waits end only when the test advances time past them. */
import type { Clock } from '../../src/runtime/outbound/clock';

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  private time: number;
  private sleepers: Sleeper[] = [];
  /** Real time of the last sleep() call: events of the work before it (Baileys buffers up to 100 ms) settle first. */
  private lastSleepAt = 0;

  constructor(start = Date.parse('2026-06-01T09:00:00Z')) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || ms <= 0) return resolve();
      this.lastSleepAt = Date.now();
      const sleeper: Sleeper = { at: this.time + ms, resolve };
      this.sleepers.push(sleeper);
      signal.addEventListener('abort', () => this.wake(sleeper), { once: true });
    });
  }

  /** Moves time forward by `ms`, waking every sleeper that is due. */
  advance(ms: number): void {
    this.time += ms;
    for (const sleeper of this.sleepers.filter((s) => s.at <= this.time)) this.wake(sleeper);
  }

  /**
   * Runs time forward until `done()`: whenever something sleeps and `settleMs` of real time passed since, jumps to
   * the earliest wake-up. Fails after `timeoutMs` of real time.
   */
  async runUntil(done: () => boolean, timeoutMs = 20_000, settleMs = 150): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms of real time (clock at ${new Date(this.time).toISOString()})`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const next = Math.min(...this.sleepers.filter((s) => Number.isFinite(s.at)).map((s) => s.at));
      if (Number.isFinite(next) && Date.now() - this.lastSleepAt >= settleMs && !done()) this.advance(Math.max(0, next - this.time));
    }
  }

  private wake(sleeper: Sleeper): void {
    this.sleepers = this.sleepers.filter((s) => s !== sleeper);
    sleeper.resolve();
  }
}
