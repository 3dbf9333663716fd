/**
 * events/feed: what the event stream reads: events as they are produced and, for a resumed stream, those after a
 * given one. One runtime reads its own outbox (delivery); a cluster reads the stream all its runtimes write to
 * (cluster/event-feed), so a client sees every session's events whichever runtime it is connected to.
 */
import type { RuntimeEvent } from './schema';

export interface EventFeed<Position = unknown> {
  /** Every new event, in the order produced; answers the unsubscribe. */
  subscribe(listener: (event: RuntimeEvent) => void): () => void;
  /** Where the event is in the feed, while it is retained; undefined when it is unknown or expired. */
  positionOf(eventId: string): Promise<Position | undefined>;
  /** The retained events after `position`, in order. */
  eventsAfter(position: Position): AsyncIterable<RuntimeEvent>;
}
