/**
 * http/routes/health: probes for Docker and Kubernetes, without a key. `GET /health` and `/health/live` answer 200
 * while the process answers at all; `/health/ready` answers 200 only when the store answers, sessions were restored
 * and event delivery runs (503 with the failing check otherwise), and with a key that may read it adds each of the
 * key's sessions. `GET /metrics` is the Prometheus scrape (a key with `metrics` or `admin`).
 */
import type { FastifyPluginAsync } from 'fastify';
import { allows, canSee, type ApiKeys } from '../../auth/api-keys';
import { presentedKey } from '../access';

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
}

export interface HealthOptions {
  ready(): Promise<Readiness>;
  sessions(): { id: string; status: string }[];
  keys: ApiKeys | 'none';
  metrics?: { text(): Promise<string>; contentType: string };
}

/** The probes a container's HEALTHCHECK may use. */
export const HEALTH_PATHS = ['/health', '/health/live', '/health/ready'];

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  const live = async () => ({ status: 'ok' });
  app.get('/health', { config: { permission: 'public' }, schema: { hide: true } }, live);
  app.get('/health/live', { config: { permission: 'public' }, schema: { tags: ['health'], summary: 'Liveness: 200 while the process answers', security: [] } }, live);

  app.get('/health/ready', { config: { permission: 'public' }, schema: { tags: ['health'], summary: 'Readiness: 200 when the store answers, sessions are restored and events are delivered; 503 otherwise', security: [] } }, async (request, reply) => {
    const readiness = await options.ready();
    const key = options.keys === 'none' ? undefined : presentedKey(request.headers.authorization, request.headers['x-api-key']);
    const verdict = key && options.keys !== 'none' ? options.keys.verify(key) : undefined;
    const record = verdict && 'record' in verdict && !('refused' in verdict) ? verdict.record : undefined;
    const sessions = record && allows(record, 'read') ? options.sessions().filter((s) => canSee(record, s.id)) : undefined;
    return reply.status(readiness.ready ? 200 : 503).send({ status: readiness.ready ? 'ready' : 'not_ready', checks: readiness.checks, ...(sessions && { sessions }) });
  });

  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', { config: { permission: 'metrics' }, schema: { tags: ['health'], summary: 'Prometheus metrics (a key with the metrics or admin permission)' } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  }
};
