/**
 * sessions/policy: what a session does after its socket closes, by disconnect code (pure, unit-tested).
 * 515 restarts at once; network-type closes back off exponentially with full jitter up to a cap; 401 wipes the
 * credentials; 440, 403 and 411 end the session; a 408 before the number is linked means the QR code expired.
 */
import { backoffDelay, type BackoffPolicy } from '../backoff';

export type CloseDecision =
  | { action: 'reconnect'; delayMs: number; status: 'starting' | 'reconnecting' }
  | { action: 'logged_out' }
  | { action: 'terminal'; status: 'conflict' | 'failed' }
  | { action: 'stop'; reason: 'qr_expired' | 'requested' };

export interface ReconnectPolicy extends BackoffPolicy {
  /** Unknown 4xx codes are retried this many times, then the session fails. */
  maxUnknownClientErrorAttempts: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = { baseDelayMs: 1000, maxDelayMs: 60_000, maxUnknownClientErrorAttempts: 3 };

export function decideOnClose(
  code: number | undefined,
  context: { registered: boolean; attempt: number; intentional: boolean },
  policy: ReconnectPolicy = DEFAULT_RECONNECT_POLICY,
  random: () => number = Math.random,
): CloseDecision {
  if (context.intentional || code === undefined) return { action: 'stop', reason: 'requested' };
  switch (code) {
    case 515:
      return { action: 'reconnect', delayMs: 0, status: 'starting' };
    case 401:
      return { action: 'logged_out' };
    case 440:
      return { action: 'terminal', status: 'conflict' };
    case 403:
    case 411:
      return { action: 'terminal', status: 'failed' };
    case 408:
      if (!context.registered) return { action: 'stop', reason: 'qr_expired' };
      break;
    default:
      if (code >= 400 && code < 500 && code !== 428 && context.attempt >= policy.maxUnknownClientErrorAttempts) {
        return { action: 'terminal', status: 'failed' };
      }
  }
  return { action: 'reconnect', delayMs: backoffDelay(context.attempt, policy, random), status: 'reconnecting' };
}

