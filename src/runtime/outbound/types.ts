/** outbound/types: what the send queue stores and answers: queued sends, lanes, status, and what it depends on. */
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { MediaInput } from '../messages/media-input';
import type { MessageSender, SendRequest, SendResult } from '../messages/sender';
import type { SessionManager } from '../sessions/manager';
import type { Clock } from './clock';
import type { Limit, LimitView } from './limits';
import type { Pacer, PacingSettings, PacingState } from './pacing';

export type Lane = 'interactive' | 'bulk';

/** A queued request: media is replaced by a reference to the stored file. */
export type StoredRequest = { kind: SendRequest['kind']; body: Record<string, unknown> & { to: string } };

export interface QueuedSend {
  /** The WhatsApp message id this send goes out under. */
  id: string;
  session: string;
  lane: Lane;
  request: StoredRequest;
  /** Shared media (a campaign's) is kept until its owner deletes it. */
  mediaRef?: { id: string; shared: boolean };
  sendAt?: number;
  createdAt: number;
  seq: number;
  attempts: number;
  notBefore?: number;
  lastError?: string;
  /** The API request that queued it: its events carry that request id. */
  requestId?: string;
  campaignId?: string;
  recipientIndex?: number;
}

/** `skipped`: not sent on purpose (the recipient opted out after the send was queued). */
export type Settled = { status: 'sent'; result: SendResult } | { status: 'failed'; reason: string } | { status: 'skipped'; reason: string } | { status: 'cancelled' };

/** What campaigns tell the queue and hear back. */
export interface QueueListener {
  isHeld(item: QueuedSend): boolean;
  onSettled(item: QueuedSend, outcome: Settled): Promise<void>;
}

export interface OutboundStatus {
  session: string;
  lanes: Record<Lane, { queued: number; nextDueAt: string | null }>;
  nextSendAt: string | null;
  limits: LimitView[];
  usage: ReturnType<Pacer['usage']>;
  settings: PacingSettings;
}

export interface SessionState {
  pacing?: PacingState;
  limits: Limit[];
}

export interface OutboundDeps {
  items: Keyv<QueuedSend>;
  media: Keyv<MediaInput>;
  state: Keyv<SessionState>;
  bus: EventBus;
  sender: MessageSender;
  sessions: SessionManager;
  clock: Clock;
  logger: Logger;
  random?: () => number;
}
