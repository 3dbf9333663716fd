/** backoff: exponential backoff with full jitter, for reconnects and webhook retries alike (pure). */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(random() * ceiling);
}
