/**
 * config/: the runtime's configuration, one validated object built from defaults, environment variables and CLI
 * flags (flags win). Library users pass the same shape to `createRuntime`.
 */
import { z } from 'zod';

export const runtimeConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(3100),
  dataDir: z.string().default('./data'),
  redisUrl: z.string().url().optional(),
  postgresUrl: z.string().url().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Set by tests and embedders to skip printing the first-boot admin key. */
  quiet: z.boolean().default(false),
  /** Fixed admin key (for tests and automated deployments); stored hashed like a generated one. */
  adminApiKey: z.string().min(24, 'adminApiKey must be at least 24 characters').optional(),
});

export type RuntimeConfigInput = z.input<typeof runtimeConfigSchema>;
export type RuntimeConfig = z.output<typeof runtimeConfigSchema>;

export function parseConfig(input: RuntimeConfigInput): RuntimeConfig {
  const result = runtimeConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`);
    throw new Error(`Invalid runtime configuration: ${problems.join('; ')}`);
  }
  return result.data;
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
  };
}
