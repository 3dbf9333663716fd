import type { FastifyPluginAsync } from 'fastify';
import { compatibility, minorVersions } from '../../../contract';
import { PERMISSIONS } from '../../auth/api-keys';

const VERSION = '^\\d+\\.\\d+\\.\\d+([-+][0-9A-Za-z.-]+)?$';
const VERSIONS = '^(\\d+|x|\\*)(\\.(\\d+|x|\\*)){0,2}$';

const ADVICE = {
  compatible: undefined,
  runtime_too_old: 'update the runtime (npx @n8n-whatsapp/runtime@latest, or a newer image)',
  runtime_too_new: 'update the n8n nodes (Settings → Community Nodes → n8n-nodes-whatsapp-runtime)',
};

/**
 * `GET /api/v1/me`: who the presented key is and what it may do. The n8n credential test calls it to check URL and
 * key together, with the nodes' version and the runtime versions they accept, and reads the verdict in
 * `compatibility`; the dashboard shows only what the key may do.
 */
export const meRoutes: FastifyPluginAsync<{ version: string; nodesAccepted: string; sandbox: boolean }> = async (app, opts) => {
  app.get<{ Querystring: { nodes?: string; runtimes?: string } }>(
    '/me',
    {
      config: { permission: 'any' },
      schema: {
        tags: ['auth'],
        summary: 'Describe the API key used for this request: its permissions and sessions',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            nodes: { type: 'string', pattern: VERSION, description: 'the calling n8n nodes\' version, to hear whether they work with this runtime' },
            runtimes: { type: 'string', pattern: VERSIONS, description: 'the runtime versions those nodes accept (`0.1.x`)' },
          },
          dependencies: { runtimes: ['nodes'] },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              keyId: { type: 'string' },
              name: { type: 'string' },
              prefix: { type: 'string' },
              permissions: { type: 'array', items: { type: 'string', enum: [...PERMISSIONS] } },
              sessions: { anyOf: [{ type: 'string', enum: ['*'] }, { type: 'array', items: { type: 'string' } }] },
              expiresAt: { type: 'string', nullable: true },
              role: { type: 'string', enum: ['admin', 'scoped'], description: '`admin` when the key holds the admin permission' },
              sandbox: { type: 'boolean', description: 'whether this runtime talks to its simulator instead of WhatsApp' },
              runtimeVersion: { type: 'string' },
              compatibility: {
                type: 'object',
                description: 'with `nodes` given: whether these nodes and this runtime work together',
                properties: {
                  status: { type: 'string', enum: ['compatible', 'runtime_too_old', 'runtime_too_new'] },
                  nodes: { type: 'string' },
                  runtime: { type: 'string' },
                  nodesAccepted: { type: 'string', description: 'the nodes versions this runtime works with' },
                  runtimesAccepted: { type: 'string' },
                  message: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const key = request.apiKey!;
      const { nodes, runtimes } = request.query;
      return {
        keyId: key.id,
        name: key.name,
        prefix: key.prefix,
        permissions: key.permissions,
        sessions: key.sessions,
        expiresAt: key.expiresAt ?? null,
        role: key.permissions.includes('admin') ? 'admin' : 'scoped',
        sandbox: opts.sandbox,
        runtimeVersion: opts.version,
        ...(nodes && { compatibility: verdict(nodes, runtimes ?? minorVersions(nodes)) }),
      };
    },
  );

  function verdict(nodes: string, runtimesAccepted: string) {
    const status = compatibility(opts.version, opts.nodesAccepted, nodes, runtimesAccepted);
    const advice = ADVICE[status];
    return {
      status,
      nodes,
      runtime: opts.version,
      nodesAccepted: opts.nodesAccepted,
      runtimesAccepted,
      ...(advice && { message: `The runtime is ${opts.version} and works with nodes ${opts.nodesAccepted}; these nodes are ${nodes} and work with runtimes ${runtimesAccepted}: ${advice}` }),
    };
  }
};
