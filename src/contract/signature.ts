/**
 * contract/signature: how webhook requests are signed (the runtime signs, the n8n trigger verifies). The signature is HMAC-SHA256 with the subscription's secret
 * over `<timestamp>.<raw body>`, hex-encoded, sent as `X-Webhook-Signature: sha256=<hex>` with the timestamp (Unix
 * seconds) in `X-Webhook-Timestamp`. Receivers recompute it and reject stale timestamps (replays).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-webhook-signature';
export const TIMESTAMP_HEADER = 'x-webhook-timestamp';
export const EVENT_ID_HEADER = 'x-webhook-event-id';
export const EVENT_TYPE_HEADER = 'x-webhook-event-type';
export const SUBSCRIPTION_HEADER = 'x-webhook-id';

export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** True when `signature` matches and `timestamp` is within `toleranceSeconds` of now. */
export function verifySignature(secret: string, timestamp: string | number, body: string, signature: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, ts, body));
  const given = Buffer.from(String(signature));
  return expected.length === given.length && timingSafeEqual(expected, given);
}
