/** sessions/types: what a session is made of and shows: its statuses, identity, settings, view and stored record. */
import type { WhatsAppTarget } from '../whatsapp/target';
import type { WriteGuard } from '../store';
import type { SessionStatus } from '../../contract/sessions';

export type { SessionStatus };

export interface SessionReason {
  code?: number;
  message: string;
}

export interface SessionMe {
  id: string;
  lid?: string;
  phoneNumber: string;
  name?: string;
}

export interface SessionSettings {
  /** Reject incoming calls automatically. */
  rejectCalls: boolean;
  /** Sent to the caller after an automatic rejection. */
  rejectCallsMessage?: string;
  /** What the outbound queue keeps for this session (its pacing over the defaults: outbound/pacing owns the shape). */
  outbound?: Record<string, number | boolean | null>;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = { rejectCalls: false };

export interface SessionView {
  id: string;
  status: SessionStatus;
  settings: SessionSettings;
  reason?: SessionReason;
  me?: SessionMe;
  hasQr: boolean;
  /** Messages that arrived but could not be decrypted, since the runtime started (message.undecryptable). */
  undecryptableMessages: number;
  createdAt: string;
  updatedAt: string;
}

/** What WhatsApp's events tell about limits on the number (outbound/limits acts on them). */
export type WhatsAppLimitSignal =
  | { kind: 'restricted' }
  | { kind: 'reachout_timelock'; active: boolean; until?: Date }
  | { kind: 'new_chat_cap'; used?: number; total?: number; cycleEnd?: number };

export const TERMINAL: SessionStatus[] = ['logged_out', 'conflict', 'failed'];

/** A state the session ended in (terminal or stopped), with its reason: still shown after a restart. */
export interface LastStatus {
  status: SessionStatus;
  reason: SessionReason;
}

/** What the registry keeps of a session besides its id. */
export interface StoredSession {
  me?: SessionMe;
  settings?: SessionSettings;
  /** The WhatsApp the credentials belong to: a sandbox's are refused by real WhatsApp and the other way round. */
  linkedTo?: WhatsAppTarget['kind'];
  last?: LastStatus;
}

/** Cluster mode: which runtime may open a session's socket and write its WhatsApp state. */
export interface SessionOwnership {
  /** Takes the session for this runtime; throws an ApiError (409) when another runtime holds it. */
  claim(session: string): Promise<void>;
  /** The condition every write of the session's auth state must meet (its lease, as this runtime holds it). */
  guard(session: string): WriteGuard;
}
