/**
 * http/routes/cluster: the runtimes sharing this store (id, address, heartbeat age, sessions owned) and each
 * session's owner. Outside cluster mode it says so (`enabled: false`) and lists nothing.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ClusterCoordinator } from '../../cluster/coordinator';
import { routePermissions } from '../access';

export const clusterRoutes: FastifyPluginAsync<{ cluster?: ClusterCoordinator }> = async (app, { cluster }) => {
  routePermissions(app, 'admin');
  app.get('/cluster', { schema: { tags: ['health'], summary: 'The runtimes of the cluster and the owner of each session' } }, async () => {
    if (!cluster) return { enabled: false, runtimes: [], sessions: [] };
    return { enabled: true, ...(await cluster.view()) };
  });
};
