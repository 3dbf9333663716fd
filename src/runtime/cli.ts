/**
 * The command line: `whatsapp-runtime [start]` runs the runtime until SIGTERM/SIGINT. Flags override the
 * environment variables documented in the README.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import QRCode from 'qrcode';
import { configFromEnv, createRuntime, type RuntimeConfigInput } from './index';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { buildHttpServer } from './http/server';
import { packageInfo } from './package-info';
import { sandboxControlRoutes } from './sandbox/control-http';
import { Simulator } from './sandbox/simulator';
import { isLoopbackUrl } from './whatsapp/target';

const USAGE = `Usage: whatsapp-runtime [start] [options]
       whatsapp-runtime sandbox [--host 127.0.0.1] [--port 0]   (a standalone WhatsApp simulator)
       (without installing: npx @n8n-whatsapp/runtime [start|sandbox] [options])

Options:
  --host <host>         interface to listen on (WA_HOST, default 127.0.0.1)
  --port <port>         port of the REST API (WA_PORT, default 3100)
  --data-dir <dir>      where the embedded SQLite store lives (WA_DATA_DIR, default ./data)
  --redis-url <url>     use Redis instead of SQLite (REDIS_URL)
  --postgres-url <url>  use PostgreSQL instead of SQLite (POSTGRES_URL)
  --log-level <level>   fatal|error|warn|info|debug|trace|silent (WA_LOG_LEVEL, default info)
  --sandbox             connect sessions to an in-process WhatsApp simulator (WA_SANDBOX=true)
  --sandbox-url <url>   connect to a simulator on loopback (WA_SANDBOX_URL) ...
  --sandbox-root-key <base64>   ... whose root key this is (WA_SANDBOX_ROOT_KEY)
  -h, --help            show this help`;

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'redis-url': { type: 'string' },
      'postgres-url': { type: 'string' },
      'log-level': { type: 'string' },
      sandbox: { type: 'boolean' },
      'sandbox-url': { type: 'string' },
      'sandbox-root-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0] ?? 'start';
  if (command === 'sandbox' && !values.help) return runSimulator(values.host ?? '127.0.0.1', Number(values.port ?? 0));
  if (values.help || command !== 'start') {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const fromEnv = configFromEnv();
  const input: RuntimeConfigInput = {
    ...fromEnv,
    ...(values.host && { host: values.host }),
    ...(values.port && { port: Number(values.port) }),
    ...(values['data-dir'] && { dataDir: values['data-dir'] }),
    ...(values['redis-url'] && { redisUrl: values['redis-url'] }),
    ...(values['postgres-url'] && { postgresUrl: values['postgres-url'] }),
    ...(values['log-level'] && { logLevel: values['log-level'] as RuntimeConfigInput['logLevel'] }),
    ...(values.sandbox && { sandbox: true }),
    ...(values['sandbox-url'] && { sandboxUrl: values['sandbox-url'] }),
    ...(values['sandbox-root-key'] && { sandboxRootKey: values['sandbox-root-key'] }),
  };
  const runtime = createRuntime(input, { onQr: process.stdout.isTTY ? printQr : undefined });
  await runtime.start();
  const lines = [
    `WhatsApp runtime listening on ${runtime.url}`,
    `  dashboard: ${runtime.url}/ (sign in with an API key)`,
    `  REST API:  ${runtime.url}/api/v1`,
    `  API docs:  ${runtime.url}/docs (OpenAPI: ${runtime.url}/openapi.json)`,
    `  storage:   ${runtime.store.backend}${runtime.store.backend === 'sqlite' ? ` in ${runtime.config.dataDir}` : ''}`,
    ...(runtime.sandbox ? [`  SANDBOX:   sessions connect to the simulator at ${runtime.sandbox.url}, not to WhatsApp`] : []),
    runtime.generatedAdminKey
      ? `  admin API key (shown once, stored hashed): ${runtime.generatedAdminKey}`
      : '  admin API key: already created (stored hashed); set WA_ADMIN_API_KEY to choose your own',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.logger.info({ signal }, 'shutting down');
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        runtime.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function printQr(session: string, qr: string): void {
  QRCode.toString(qr, { type: 'terminal', small: true }).then(
    (art) => process.stdout.write(`\nScan with WhatsApp (Linked Devices) to link session "${session}":\n${art}\n`),
    () => undefined,
  );
}

async function runSimulator(host: string, port: number): Promise<void> {
  if (!isLoopbackUrl(`ws://${host.includes(':') ? `[${host}]` : host}/`)) throw new Error('The simulator only listens on loopback');
  const simulator = await Simulator.start({ host, port });
  const control = await buildHttpServer({
    logger: pino({ level: 'warn' }),
    apiKeys: 'none',
    version: packageInfo().version,
    routes: [async (instance) => instance.register(sandboxControlRoutes, { simulator })],
  });
  await control.listen({ host, port: 0 });
  const controlAddress = control.server.address() as AddressInfo;
  const caPath = join(tmpdir(), `whatsapp-sandbox-media-${process.pid}.pem`);
  writeFileSync(caPath, simulator.media.certificatePem);
  process.stdout.write(
    [
      `WhatsApp simulator listening on ${simulator.url}`,
      `  WA_SANDBOX_URL=${simulator.url}`,
      `  WA_SANDBOX_ROOT_KEY=${simulator.rootPublicKeyBase64}`,
      `  WA_SANDBOX_MEDIA_CA="$(cat ${caPath})"`,
      `Control API (no key, loopback only): http://${host}:${controlAddress.port}/api/v1/sandbox (docs: /docs)`,
      '',
    ].join('\n'),
  );
  const shutdown = () => {
    Promise.all([control.close(), simulator.stop()]).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
