/**
 * messages/idempotency: an `Idempotency-Key` makes a send happen once. The key is recorded with the message id the
 * send will use *before* sending; a retry with the same key returns the stored result, waits for a send still in
 * flight, or (after a crash mid-send) sends again under the same message id, which WhatsApp and the recipient
 * de-duplicate. The same key with a different request is refused.
 */
import { createHash } from 'node:crypto';
import type Keyv from 'keyv';
import { ApiError } from '../errors';

interface IdempotencyRecord<R> {
  fingerprint: string;
  messageId: string;
  result?: R;
}

export class IdempotencyStore {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly kv: Keyv<IdempotencyRecord<unknown>>,
    private readonly ttlMs: number,
  ) {}

  /**
   * Runs `send(messageId)` once per `(session, key)`. Without a key it just sends with `newId()`. `replayed` tells
   * whether the result came from an earlier request.
   */
  async run<R>(session: string, key: string | undefined, request: unknown, newId: () => string, send: (messageId: string) => Promise<R>): Promise<{ result: R; replayed: boolean }> {
    if (key === undefined) return { result: await send(newId()), replayed: false };
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 visible ASCII characters', { field: 'Idempotency-Key' });
    const id = `${session}|${key}`;
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const running = this.inFlight.get(id);
    if (running) {
      // the first request with this key is still sending: wait for it, then answer from what it stored
      await running.catch(() => undefined);
      return this.run(session, key, request, newId, send);
    }
    // registered before the first await, so a concurrent retry always finds it
    const attempt = this.attempt(id, fingerprint, newId, send);
    this.inFlight.set(id, attempt);
    try {
      return await attempt;
    } finally {
      if (this.inFlight.get(id) === attempt) this.inFlight.delete(id);
    }
  }

  /** Forgets a deleted session's keys. */
  async dropSession(session: string): Promise<void> {
    const ids: string[] = [];
    for await (const [id] of this.kv.iterator!(this.kv.namespace)) if (String(id).startsWith(`${session}|`)) ids.push(String(id));
    for (const id of ids) await this.kv.delete(id);
  }

  private async attempt<R>(id: string, fingerprint: string, newId: () => string, send: (messageId: string) => Promise<R>): Promise<{ result: R; replayed: boolean }> {
    const stored = (await this.kv.get(id)) as IdempotencyRecord<R> | undefined;
    if (stored && stored.fingerprint !== fingerprint) {
      throw new ApiError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different request', { field: 'Idempotency-Key' });
    }
    if (stored?.result !== undefined) return { result: stored.result, replayed: true };
    const messageId = stored?.messageId ?? newId();
    await this.kv.set(id, { fingerprint, messageId }, this.ttlMs);
    try {
      const result = await send(messageId);
      await this.kv.set(id, { fingerprint, messageId, result }, this.ttlMs);
      return { result, replayed: false };
    } catch (error) {
      // a refused send did not happen: the key is free for a corrected retry
      if (error instanceof ApiError) await this.kv.delete(id);
      throw error;
    }
  }
}
