import { backoffDelay } from '../../src/runtime/backoff';
import { decideOnClose, DEFAULT_RECONNECT_POLICY } from '../../src/runtime/sessions/policy';

const ctx = (over: Partial<{ registered: boolean; attempt: number; intentional: boolean }> = {}) => ({ registered: true, attempt: 0, intentional: false, ...over });

describe('reconnect policy', () => {
  test('515 restarts at once', () => {
    expect(decideOnClose(515, ctx())).toEqual({ action: 'reconnect', delayMs: 0, status: 'starting' });
  });
  test('401 logs out, 440 is a conflict, 403 and 411 fail', () => {
    expect(decideOnClose(401, ctx())).toEqual({ action: 'logged_out' });
    expect(decideOnClose(440, ctx())).toEqual({ action: 'terminal', status: 'conflict' });
    expect(decideOnClose(403, ctx())).toEqual({ action: 'terminal', status: 'failed' });
    expect(decideOnClose(411, ctx())).toEqual({ action: 'terminal', status: 'failed' });
  });
  test('408 before linking means the QR expired; after linking it is a network loss', () => {
    expect(decideOnClose(408, ctx({ registered: false }))).toEqual({ action: 'stop', reason: 'qr_expired' });
    expect(decideOnClose(408, ctx(), DEFAULT_RECONNECT_POLICY, () => 0.5)).toMatchObject({ action: 'reconnect', status: 'reconnecting' });
  });
  test('our own close never reconnects', () => {
    expect(decideOnClose(undefined, ctx())).toEqual({ action: 'stop', reason: 'requested' });
    expect(decideOnClose(428, ctx({ intentional: true }))).toEqual({ action: 'stop', reason: 'requested' });
  });
  test('network closes back off exponentially with full jitter, capped', () => {
    const policy = { baseDelayMs: 1000, maxDelayMs: 8000, maxUnknownClientErrorAttempts: 3 };
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, policy, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(decideOnClose(428, ctx({ attempt: 2 }), policy, () => 0.5)).toEqual({ action: 'reconnect', delayMs: 2000, status: 'reconnecting' });
    expect(decideOnClose(503, ctx({ attempt: 50 }), policy, () => 1)).toEqual({ action: 'reconnect', delayMs: 8000, status: 'reconnecting' });
  });
  test('unknown 4xx codes fail after a few attempts', () => {
    expect(decideOnClose(405, ctx({ attempt: 0 }), DEFAULT_RECONNECT_POLICY, () => 0)).toMatchObject({ action: 'reconnect' });
    expect(decideOnClose(405, ctx({ attempt: 3 }))).toEqual({ action: 'terminal', status: 'failed' });
  });
});
