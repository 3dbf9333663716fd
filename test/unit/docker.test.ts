/**
 * The Dockerfile and docker-compose.yml, checked as far as a machine without a Docker engine can: the compose file
 * parses, its services, ports, volumes and environment variables are the runtime's own, and the image runs the CLI
 * the tests run, as a non-root user, with its health check on the liveness probe.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runtimeConfigSchema } from '../../src/runtime/config';
import { HEALTH_PATHS } from '../../src/runtime/http/routes/health';

const ROOT = join(__dirname, '..', '..');
const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = read('Dockerfile');
/** The environment variables the runtime reads (config/index.ts, `configFromEnv`). */
const runtimeVariables = new Set([...read('src/runtime/config/index.ts').matchAll(/pick\('([A-Z_]+)'\)/g)].map(([, name]) => name));

test('the compose file has the runtime, n8n and an optional Redis, on the names the docs use', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['n8n', 'redis', 'whatsapp-runtime']);
  expect(compose.services.redis.profiles).toEqual(['redis']);
  expect(compose.services.n8n.depends_on).toEqual({ 'whatsapp-runtime': { condition: 'service_healthy' } });
  expect(read('docker-compose.yml')).toContain('http://whatsapp-runtime:3100');
  for (const service of Object.values(compose.services)) for (const volume of service.volumes ?? []) expect(Object.keys(compose.volumes)).toContain(volume.split(':')[0]);
});

test("the runtime service uses only the runtime's variables, its port and its data folder", () => {
  const runtime = compose.services['whatsapp-runtime'];
  expect(runtime.build).toBe('.');
  expect(Object.keys(runtime.environment ?? {}).filter((name) => !runtimeVariables.has(name))).toEqual([]);
  expect(runtime.ports).toEqual(['127.0.0.1:3100:3100']);
  expect(runtime.volumes).toEqual(['whatsapp-data:/data']);
  const env = Object.fromEntries([...dockerfile.matchAll(/\b(WA_[A-Z_]+)=(\S+)/g)].map(([, name, value]) => [name, value]));
  expect(Object.keys(env).filter((name) => !runtimeVariables.has(name))).toEqual([]);
  const config = runtimeConfigSchema.parse({ host: env.WA_HOST, port: env.WA_PORT, dataDir: env.WA_DATA_DIR });
  expect(config).toMatchObject({ host: '0.0.0.0', port: 3100, dataDir: '/data' });
  expect(dockerfile).toMatch(/^EXPOSE 3100$/m);
  expect(dockerfile).toMatch(/^VOLUME \/data$/m);
});

test('the image: two stages, slim, non-root, tini for signals, the CLI as command, health on the liveness probe', () => {
  expect([...dockerfile.matchAll(/^FROM (\S+)/gm)].map(([, image]) => image)).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
  expect(dockerfile).toMatch(/^USER node$/m);
  expect(dockerfile).toMatch(/^ENTRYPOINT \["tini", "--"\]$/m);
  expect(dockerfile).toMatch(/^CMD \["node", "bin\/whatsapp-runtime\.js"\]$/m);
  expect(JSON.parse(read('packages/runtime/package.json')).bin['whatsapp-runtime']).toBe('bin/whatsapp-runtime.js');
  expect(dockerfile).toMatch(/^COPY --from=build \/app\/packages\/runtime \.\/$/m);
  const probe = /HEALTHCHECK[\s\S]*?fetch\('http:\/\/127\.0\.0\.1:3100(\/[a-z/]+)'\)/.exec(dockerfile)?.[1];
  expect(HEALTH_PATHS).toContain(probe);
  expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['.git', 'node_modules', 'data', '.env']));
});

test('the cluster compose file: three runtimes on Redis, each its own id, address, data and the runtime\'s own variables; n8n in queue mode', () => {
  const cluster = parse(read('docker-compose.cluster.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const runtimes = Object.entries(cluster.services).filter(([name]) => name.startsWith('runtime-'));
  expect(runtimes.map(([name]) => name)).toEqual(['runtime-1', 'runtime-2', 'runtime-3']);
  for (const [name, service] of runtimes) {
    const env = service.environment ?? {};
    expect(Object.keys(env).filter((variable) => !runtimeVariables.has(variable))).toEqual([]);
    expect(env).toMatchObject({ WA_CLUSTER: 'true', REDIS_URL: 'redis://redis:6379', WA_CLUSTER_RUNTIME_ID: name, WA_CLUSTER_ADDRESS: `http://${name}:3100` });
    expect(service.volumes).toEqual([`${name}-data:/data`]);
    expect(() => runtimeConfigSchema.parse({ cluster: true, redisUrl: env.REDIS_URL, clusterRuntimeId: env.WA_CLUSTER_RUNTIME_ID, clusterAddress: env.WA_CLUSTER_ADDRESS })).not.toThrow();
  }
  expect(cluster.services['n8n'].environment).toMatchObject({ EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_HOST: 'redis' });
  expect(cluster.services['n8n-worker'].environment).toMatchObject({ EXECUTIONS_MODE: 'queue' });
  for (const service of Object.values(cluster.services)) for (const volume of service.volumes ?? []) expect(Object.keys(cluster.volumes)).toContain(volume.split(':')[0]);
});
