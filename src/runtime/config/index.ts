/**
 * config/: the runtime's configuration, one validated object built from defaults, environment variables and CLI
 * flags (flags win). Library users pass the same shape to `createRuntime`.
 */
import { z } from 'zod';
import { isLoopbackUrl } from '../whatsapp/target';

/** An http(s) URL; the message names the field. */
const httpUrl = (field: string) => z.string().url().refine((url) => /^https?:\/\//.test(url), `${field} must be an http(s) URL`).optional();

export const runtimeConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(3100),
  /** Folder of the embedded store; unset: `./data`, or `./data-sandbox` in sandbox mode (never the same one). */
  dataDir: z.string().optional(),
  redisUrl: z.string().url().optional(),
  postgresUrl: z.string().url().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Set by tests and embedders to skip printing the first-boot admin key. */
  quiet: z.boolean().default(false),
  /** Fixed admin key (for tests and automated deployments); stored hashed like a generated one. */
  adminApiKey: z.string().min(24, 'adminApiKey must be at least 24 characters').optional(),
  /** Run an in-process WhatsApp simulator and connect every session to it (no phone, no real WhatsApp). */
  sandbox: z.boolean().default(false),
  /** Connect to a simulator running elsewhere on loopback instead (needs `sandboxRootKey`). */
  sandboxUrl: z.string().url().optional(),
  /** Base64 Curve25519 root public key of that simulator. */
  sandboxRootKey: z.string().optional(),
  /** PEM certificate of that simulator's media host, so media uploads and downloads trust it. */
  sandboxMediaCa: z.string().optional(),
  /**
   * WhatsApp Web version sessions announce: `auto` (fetch the current one at start, fall back to the bundled one),
   * `bundled`, or a pinned `x.y.z`. Unset: `auto`, except in sandbox mode, which never fetches.
   */
  waVersion: z.union([z.literal('auto'), z.literal('bundled'), z.string().regex(/^\d{1,4}\.\d{1,6}\.\d{1,12}$/, 'waVersion must be auto, bundled or x.y.z')]).optional(),
  /** Label shown under Linked Devices on the phone. */
  browserName: z.string().min(1).max(40).default('n8n WhatsApp Runtime'),
  /**
   * `companion_platform_display` of pairing-code requests: WhatsApp refuses anything but a standard "Browser (OS)"
   * (400 bad-request); the Linked Devices label is `browserName` either way.
   */
  pairingPlatformDisplay: z.string().regex(/^[A-Za-z]+ \([A-Za-z0-9 ]+\)$/, 'pairingPlatformDisplay must look like "Chrome (Windows)"').default('Chrome (Windows)'),
  reconnectBaseDelayMs: z.coerce.number().int().min(0).default(1000),
  reconnectMaxDelayMs: z.coerce.number().int().min(0).default(60_000),
  /** Pause between two sessions restored at boot, so many sessions do not reconnect at once. */
  restoreStaggerMs: z.coerce.number().int().min(0).default(250),
  /** How long messages are kept in the store (for retries, quotes, polls and history). */
  messageRetentionDays: z.coerce.number().min(0.001).default(30),
  mediaMaxBytes: z.coerce.number().int().min(1).default(16 * 1024 * 1024),
  /** Allow media URLs on loopback and private networks (refused by default: SSRF). */
  mediaAllowPrivateNetworks: z.boolean().default(false),
  /** ffmpeg executable that converts voice notes to OGG/Opus (a name on PATH or a path). */
  ffmpegPath: z.string().min(1).default('ffmpeg'),
  /** How long a send's Idempotency-Key is remembered. */
  idempotencyTtlHours: z.coerce.number().min(0.001).default(24),
  /** Label metrics with session ids (turn off with many sessions: each adds series). */
  metricsSessionLabel: z.boolean().default(true),
  /** How long the request log is kept. */
  requestLogRetentionDays: z.coerce.number().min(0.01).max(3650).default(14),
  /** How long daily usage counts are kept. */
  usageRetentionDays: z.coerce.number().min(1).max(3650).default(400),
  /** How long audit log entries are kept. */
  auditRetentionDays: z.coerce.number().min(1).max(3650).default(365),
  /** How long delivered events stay in the outbox (for replay and stream resume). */
  eventRetentionHours: z.coerce.number().min(0.001).default(72),
  webhookTimeoutMs: z.coerce.number().int().min(100).default(10_000),
  webhookMaxAttempts: z.coerce.number().int().min(1).default(12),
  /** Give an event up (dead letter) once it has been failing this long. */
  webhookMaxAgeHours: z.coerce.number().min(0.0001).default(24),
  webhookRetryBaseDelayMs: z.coerce.number().int().min(0).default(1000),
  webhookRetryMaxDelayMs: z.coerce.number().int().min(0).default(10 * 60_000),
  /**
   * Allow webhooks to loopback and private networks (n8n in the same Docker network, say). Loopback is allowed
   * anyway while the API itself listens on loopback only.
   */
  webhookAllowPrivateNetworks: z.boolean().default(false),
  /** Parallel deliveries per subscription (events of one chat always go one after the other). */
  webhookConcurrency: z.coerce.number().int().min(1).max(64).default(8),
  /** Print QR codes to the terminal when the runtime runs in one. */
  printQr: z.boolean().default(false),
  /** The URL clients reach the runtime at (behind a proxy, say): the MCP resource identifier and OAuth issuer. */
  publicUrl: httpUrl('publicUrl'),
  /** Serve the remote MCP server at /mcp. */
  mcpEnabled: z.boolean().default(true),
  /** Host names /mcp answers to besides localhost and the public URL's (DNS-rebinding protection). */
  mcpAllowedHosts: z.array(z.string().min(1)).default([]),
  /**
   * OAuth for MCP clients: `builtin` (the runtime is the authorization server, consent in the dashboard),
   * `external` (JWT access tokens of the identity provider at `oauthIssuer`), or `off` (API keys only).
   */
  oauth: z.enum(['builtin', 'external', 'off']).default('builtin'),
  oauthIssuer: z.string().url().optional(),
  /** The external provider's JWKS; read from its discovery document when unset. */
  oauthJwksUrl: z.string().url().optional(),
  /** The `aud` of external tokens; the MCP resource URL (`<publicUrl>/mcp`) when unset. */
  oauthAudience: z.string().min(1).optional(),
  /** The claim of external tokens listing the sessions they may use (ids, or "*"). */
  oauthSessionsClaim: z.string().min(1).default('whatsapp_sessions'),
  /** Fetch Client ID Metadata Documents and an external JWKS from loopback and private networks too. */
  oauthAllowPrivateNetworks: z.boolean().default(false),
  oauthAccessTokenTtlSeconds: z.coerce.number().int().min(60).max(86_400).default(3600),
  oauthRefreshTokenTtlDays: z.coerce.number().min(1).max(365).default(30),
  /** Campaign recipients checked on WhatsApp and queued at a time; the next chunk follows as the queue drains. */
  campaignChunk: z.coerce.number().int().min(10).max(5000).default(500),
  /** Largest CSV file a contact import accepts. */
  importMaxBytes: z.coerce.number().int().min(1).default(50 * 1024 * 1024),
  /** A contact who writes one of these (the whole message, any case) is opted out of the session's messages. */
  optOutKeywords: z.array(z.string().min(1).max(50)).default(['STOP', 'UNSUBSCRIBE', 'CANCEL', 'PARAR', 'SAIR', 'BAJA']),
  optInKeywords: z.array(z.string().min(1).max(50)).default(['START']),
  /** Sent to a contact who opts out (none when unset). */
  optOutConfirmation: z.string().min(1).max(4096).optional(),
  optInConfirmation: z.string().min(1).max(4096).optional(),
  /** Several runtimes on one Redis: each session runs on exactly one of them (docs/scaling.md). */
  cluster: z.boolean().default(false),
  /** This runtime's id in the cluster; unset: the host name and process id. */
  clusterRuntimeId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'clusterRuntimeId must be 1-64 letters, digits, ".", "_" or "-"').optional(),
  /** The base URL the other runtimes reach this one's API at; unset: the address it listens on. */
  clusterAddress: httpUrl('clusterAddress'),
  /** How long a session's lease lasts without renewal: a dead runtime's sessions are taken over after it. */
  clusterLeaseTtlMs: z.coerce.number().int().min(1000).max(120_000).default(15_000),
}).superRefine((config, ctx) => {
  if (config.cluster && !config.redisUrl) ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'cluster mode needs redisUrl (the runtimes share their state and leases on Redis)' });
  if (config.cluster && config.sandbox) ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'cluster mode cannot use the in-process sandbox (each runtime would have its own WhatsApp): run the simulator apart and set sandboxUrl' });
  if (config.oauth === 'external' && !config.oauthIssuer) ctx.addIssue({ code: 'custom', path: ['oauthIssuer'], message: 'oauth "external" needs oauthIssuer (the identity provider\'s issuer URL)' });
  if (config.oauth !== 'external' && (config.oauthIssuer || config.oauthJwksUrl)) ctx.addIssue({ code: 'custom', path: ['oauthIssuer'], message: 'oauthIssuer and oauthJwksUrl are only used with oauth "external"' });
  if (config.sandboxUrl && !config.sandboxRootKey) ctx.addIssue({ code: 'custom', path: ['sandboxRootKey'], message: 'sandboxUrl needs sandboxRootKey (the simulator prints it)' });
  if (config.sandboxRootKey && !config.sandboxUrl) ctx.addIssue({ code: 'custom', path: ['sandboxUrl'], message: 'sandboxRootKey is only used with sandboxUrl' });
  if (config.sandbox && config.sandboxUrl) ctx.addIssue({ code: 'custom', path: ['sandbox'], message: 'use either sandbox (in-process) or sandboxUrl, not both' });
  if (config.sandboxUrl && !isLoopbackUrl(config.sandboxUrl)) ctx.addIssue({ code: 'custom', path: ['sandboxUrl'], message: 'a sandbox URL must point at loopback (127.0.0.1, ::1 or localhost)' });
});

export type RuntimeConfigInput = z.input<typeof runtimeConfigSchema>;
export type RuntimeConfig = z.output<typeof runtimeConfigSchema> & { dataDir: string };

export function parseConfig(input: RuntimeConfigInput): RuntimeConfig {
  const result = runtimeConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`);
    throw new Error(`Invalid runtime configuration: ${problems.join('; ')}`);
  }
  return { ...result.data, dataDir: result.data.dataDir ?? (result.data.sandbox || result.data.sandboxUrl ? './data-sandbox' : './data') };
}

/** Reads the documented environment variables; unset ones fall back to the schema defaults. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeConfigInput {
  const pick = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  return {
    host: pick('WA_HOST'),
    port: pick('WA_PORT') as unknown as number | undefined,
    dataDir: pick('WA_DATA_DIR'),
    redisUrl: pick('REDIS_URL'),
    postgresUrl: pick('POSTGRES_URL'),
    logLevel: pick('WA_LOG_LEVEL') as RuntimeConfig['logLevel'] | undefined,
    adminApiKey: pick('WA_ADMIN_API_KEY'),
    sandbox: flag(pick('WA_SANDBOX')),
    sandboxUrl: pick('WA_SANDBOX_URL'),
    sandboxRootKey: pick('WA_SANDBOX_ROOT_KEY'),
    sandboxMediaCa: pick('WA_SANDBOX_MEDIA_CA'),
    waVersion: pick('WA_VERSION'),
    browserName: pick('WA_BROWSER_NAME'),
    pairingPlatformDisplay: pick('WA_PAIRING_PLATFORM_DISPLAY'),
    messageRetentionDays: pick('WA_MESSAGE_RETENTION_DAYS') as unknown as number | undefined,
    mediaMaxBytes: pick('WA_MEDIA_MAX_BYTES') as unknown as number | undefined,
    mediaAllowPrivateNetworks: flag(pick('WA_MEDIA_ALLOW_PRIVATE_NETWORKS')),
    ffmpegPath: pick('WA_FFMPEG_PATH'),
    idempotencyTtlHours: pick('WA_IDEMPOTENCY_TTL_HOURS') as unknown as number | undefined,
    eventRetentionHours: pick('WA_EVENT_RETENTION_HOURS') as unknown as number | undefined,
    auditRetentionDays: pick('WA_AUDIT_RETENTION_DAYS') as unknown as number | undefined,
    requestLogRetentionDays: pick('WA_REQUEST_LOG_RETENTION_DAYS') as unknown as number | undefined,
    metricsSessionLabel: flag(pick('WA_METRICS_SESSION_LABEL')),
    usageRetentionDays: pick('WA_USAGE_RETENTION_DAYS') as unknown as number | undefined,
    webhookTimeoutMs: pick('WA_WEBHOOK_TIMEOUT_MS') as unknown as number | undefined,
    webhookMaxAttempts: pick('WA_WEBHOOK_MAX_ATTEMPTS') as unknown as number | undefined,
    webhookMaxAgeHours: pick('WA_WEBHOOK_MAX_AGE_HOURS') as unknown as number | undefined,
    webhookConcurrency: pick('WA_WEBHOOK_CONCURRENCY') as unknown as number | undefined,
    webhookAllowPrivateNetworks: flag(pick('WA_WEBHOOK_ALLOW_PRIVATE_NETWORKS')),
    webhookRetryBaseDelayMs: pick('WA_WEBHOOK_RETRY_BASE_DELAY_MS') as unknown as number | undefined,
    webhookRetryMaxDelayMs: pick('WA_WEBHOOK_RETRY_MAX_DELAY_MS') as unknown as number | undefined,
    publicUrl: pick('WA_PUBLIC_URL'),
    mcpEnabled: flag(pick('WA_MCP_ENABLED')),
    mcpAllowedHosts: list(pick('WA_MCP_ALLOWED_HOSTS')),
    oauth: pick('WA_OAUTH') as RuntimeConfig['oauth'] | undefined,
    oauthIssuer: pick('WA_OAUTH_ISSUER'),
    oauthJwksUrl: pick('WA_OAUTH_JWKS_URL'),
    oauthAudience: pick('WA_OAUTH_AUDIENCE'),
    oauthSessionsClaim: pick('WA_OAUTH_SESSIONS_CLAIM'),
    oauthAllowPrivateNetworks: flag(pick('WA_OAUTH_ALLOW_PRIVATE_NETWORKS')),
    oauthAccessTokenTtlSeconds: pick('WA_OAUTH_ACCESS_TOKEN_TTL_SECONDS') as unknown as number | undefined,
    oauthRefreshTokenTtlDays: pick('WA_OAUTH_REFRESH_TOKEN_TTL_DAYS') as unknown as number | undefined,
    campaignChunk: pick('WA_CAMPAIGN_CHUNK') as unknown as number | undefined,
    importMaxBytes: pick('WA_IMPORT_MAX_BYTES') as unknown as number | undefined,
    optOutKeywords: list(pick('WA_OPT_OUT_KEYWORDS')),
    optInKeywords: list(pick('WA_OPT_IN_KEYWORDS')),
    optOutConfirmation: pick('WA_OPT_OUT_CONFIRMATION'),
    optInConfirmation: pick('WA_OPT_IN_CONFIRMATION'),
    cluster: flag(pick('WA_CLUSTER')),
    clusterRuntimeId: pick('WA_CLUSTER_RUNTIME_ID'),
    clusterAddress: pick('WA_CLUSTER_ADDRESS'),
    clusterLeaseTtlMs: pick('WA_CLUSTER_LEASE_TTL_MS') as unknown as number | undefined,
  };
}

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((item) => item.trim()).filter(Boolean);
}

function flag(value: string | undefined): boolean | undefined {
  return value === undefined ? undefined : ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}
