/** contract/sessions: what names a session and the states it can be in (the REST API and the nodes agree on them). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const SESSION_STATUSES = ['stopped', 'starting', 'qr', 'pairing_code', 'connected', 'reconnecting', 'logged_out', 'conflict', 'failed'] as const;

export type SessionStatus = (typeof SESSION_STATUSES)[number];
