/**
 * http/routes/overview: the figures of the dashboard's home page: sessions up, messages per minute over the last
 * hour, failed deliveries in the last hour, events waiting for delivery and the oldest of them. A key over some
 * sessions sees its sessions only, and no runtime-wide figures.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { RuntimeMetrics } from '../../metrics';
import type { SessionManager } from '../../sessions/manager';
import { routePermissions, visibleSessions } from '../access';

export const overviewRoutes: FastifyPluginAsync<{ sessions: SessionManager; metrics: RuntimeMetrics; pending: () => { count: number; oldestAt?: number } }> = async (app, { sessions, metrics, pending }) => {
  routePermissions(app, 'read');
  app.get('/overview', { schema: { tags: ['health'], summary: 'Sessions up, messages per minute, delivery failures and pending events, for the dashboard' } }, async (request) => {
    const shown = visibleSessions(request.apiKey, sessions.list());
    const byStatus: Record<string, number> = {};
    for (const session of shown) byStatus[session.status] = (byStatus[session.status] ?? 0) + 1;
    const overview = { sessions: { total: shown.length, connected: byStatus.connected ?? 0, byStatus } };
    if (request.apiKey?.sessions !== '*') return overview;
    const lastHour = metrics.lastHour();
    const { count, oldestAt } = pending();
    return {
      ...overview,
      messagesThisMinute: lastHour.at(-1)?.messages ?? 0,
      perMinute: lastHour,
      deliveryFailuresLastHour: lastHour.reduce((sum, m) => sum + m.deliveryFailures, 0),
      outbox: { pending: count, oldestPendingAgeSeconds: oldestAt === undefined ? 0 : Math.round((Date.now() - oldestAt) / 1000) },
    };
  });
};
