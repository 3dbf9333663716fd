/**
 * whatsapp/key-transactions: rc14 keeps a Signal key transaction in an AsyncLocalStorage context that outlives it.
 * Work started inside a transaction and finished after it, such as the privacy-token (tctoken) issuance Baileys
 * fires and forgets after every 1:1 send, reads and writes the ended transaction's cache, whose writes are never
 * committed: the token's timestamp is lost and the next send issues tokens again (an extra IQ and its answer per
 * send). Calls made from an ended transaction's context run here in the socket's own context, so they reach the
 * store; calls inside a running transaction are Baileys' as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface TransactionalKeys {
  get(type: string, ids: string[]): Promise<unknown>;
  set(data: Record<string, unknown>): Promise<void>;
  transaction<T>(work: () => Promise<T>, key: string): Promise<T>;
}

export function escapeEndedTransactions(keys: TransactionalKeys): void {
  // the context the socket was made in: no transaction of Baileys' in it
  const outside = AsyncLocalStorage.snapshot();
  const scope = new AsyncLocalStorage<{ open: boolean }>();
  const ended = () => scope.getStore()?.open === false;
  const get = keys.get.bind(keys);
  const set = keys.set.bind(keys);
  const transaction = keys.transaction.bind(keys);
  keys.get = (type, ids) => (ended() ? outside(() => get(type, ids)) : get(type, ids));
  keys.set = (data) => (ended() ? outside(() => set(data)) : set(data));
  const run = <T>(work: () => Promise<T>, key: string): Promise<T> => {
    const current = scope.getStore();
    if (current?.open) return transaction(work, key);
    if (current) return outside(() => run(work, key));
    const marker = { open: true };
    return transaction(() => scope.run(marker, work).finally(() => (marker.open = false)), key);
  };
  keys.transaction = run;
}
