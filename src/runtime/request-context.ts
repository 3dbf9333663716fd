/**
 * request-context: the API request a piece of work runs for, so that the events it causes carry its request id.
 * Work that outlives the request and serves many (a WhatsApp socket, a send queue's loop) starts `detached`, or
 * every later event of it would carry the id of the request that happened to start it. A message sent for a
 * request is remembered by its id, so that WhatsApp's echo of it (`message.sent`, later, on the socket) carries the
 * request's id too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const context = new AsyncLocalStorage<{ requestId: string }>();

export function runInRequest<T>(requestId: string, work: () => T): T {
  return context.run({ requestId }, work);
}

export function currentRequestId(): string | undefined {
  return context.getStore()?.requestId;
}

export function detached<T>(work: () => T): T {
  return context.exit(work);
}

/** Runs `work` as part of `requestId`'s request (or as it is, without one). */
export function asRequest<T>(requestId: string | undefined, work: () => T): T {
  return requestId ? context.run({ requestId }, work) : work();
}

const MESSAGE_MEMORY = 10_000;
const byMessage = new Map<string, string>();

/** Remembers that the message about to be sent belongs to the current request. */
export function rememberMessage(messageId: string): void {
  const requestId = currentRequestId();
  if (!requestId) return;
  byMessage.set(messageId, requestId);
  if (byMessage.size > MESSAGE_MEMORY) byMessage.delete(byMessage.keys().next().value!);
}

export function requestOfMessage(messageId: string | null | undefined): string | undefined {
  return messageId ? byMessage.get(messageId) : undefined;
}
