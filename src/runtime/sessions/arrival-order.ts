/**
 * sessions/arrival-order: a chat's messages reach the bus in the order WhatsApp sent them. rc14 handles a
 * reconnect's offline backlog in a queue of its own (Utils/offline-node-processor) and a message that arrives live
 * meanwhile at once, so the live one overtakes the backlog; concurrent batches can overtake each other too. Every
 * message stanza is numbered as it arrives; a message is translated once the earlier ones of its chat are, or once
 * it has waited HOLD_MS for them (a stanza Baileys drops without an upsert must not hold its chat for ever).
 */

/** Longest a message waits for earlier ones of its chat: a backlog of a few thousand messages. */
export const HOLD_MS = 5000;
/** Stanzas remembered at most; the oldest are let go first. */
const MAX_TRACKED = 10_000;

interface Arrival {
  id: string;
  chat: string;
  at: number;
  /** Made only when a later message waits for this one (rarely: most arrive and go in order). */
  settled?: { promise: Promise<void>; resolve(): void };
}

function settledOf(arrival: Arrival): Promise<void> {
  if (!arrival.settled) {
    let resolve!: () => void;
    const promise = new Promise<void>((done) => (resolve = done));
    arrival.settled = { promise, resolve };
  }
  return arrival.settled.promise;
}

export class ArrivalOrder {
  private readonly byId = new Map<string, Arrival>();
  /** Unsettled arrivals of each chat, oldest first. */
  private readonly chats = new Map<string, Arrival[]>();

  constructor(private readonly holdMs = HOLD_MS, private readonly now: () => number = Date.now) {}

  /** A message stanza came in from `chat` (its `from`); a redelivered one keeps its first place. */
  arrived(id: string, chat: string): void {
    if (this.byId.has(id)) return;
    const arrival: Arrival = { id, chat, at: this.now() };
    this.byId.set(id, arrival);
    const queue = this.chats.get(chat);
    if (queue) queue.push(arrival);
    else this.chats.set(chat, [arrival]);
    if (this.byId.size > MAX_TRACKED) this.done(this.byId.keys().next().value!);
  }

  /**
   * Resolves when every message that arrived before `id` in its chat is translated (or has waited too long);
   * undefined when there is nothing to wait for, so the common case costs no turn of the loop.
   */
  turn(id: string): Promise<void> | undefined {
    const arrival = this.byId.get(id);
    const queue = arrival && this.chats.get(arrival.chat);
    if (!queue) return undefined;
    // what has waited too long is let go: it never holds anything again
    while (queue[0] !== arrival && this.now() - queue[0].at >= this.holdMs) this.done(queue[0].id);
    const earlier = queue.slice(0, queue.indexOf(arrival));
    if (!earlier.length) return undefined;
    const left = this.holdMs - (this.now() - earlier[0].at);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, left)));
    return Promise.race([Promise.all(earlier.map(settledOf)).then(() => undefined), timeout]).finally(() => clearTimeout(timer));
  }

  /** The message is on the bus (or will never be): the ones behind it may go. */
  done(id: string): void {
    const arrival = this.byId.get(id);
    if (!arrival) return;
    this.byId.delete(id);
    arrival.settled?.resolve();
    const queue = this.chats.get(arrival.chat)!;
    queue.splice(queue.indexOf(arrival), 1);
    if (!queue.length) this.chats.delete(arrival.chat);
  }

  /** Messages waited for and not translated yet (tests, diagnostics). */
  get size(): number {
    return this.byId.size;
  }
}
