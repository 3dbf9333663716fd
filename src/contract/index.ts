/**
 * contract/: what the runtime and the n8n nodes both compile from, with no dependency but `node:crypto`: the event
 * schema, the webhook signature scheme and its headers, the session id pattern and statuses, which versions match.
 */
export * from './events';
export * from './signature';
export * from './sessions';
export * from './versions';
