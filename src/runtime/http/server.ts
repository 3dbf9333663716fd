/**
 * http/: builds the fastify app: request ids, the error shape, API-key (or OAuth token) authentication on every
 * route that does not declare `permission: 'public'` and what each key may do (`access.ts`), the audit of what changed, the OpenAPI document at
 * `/openapi.json` (each operation with its `x-permission`) and its docs page at `/docs`. Feature routes register
 * themselves through `routes`, each a fastify plugin, so new API areas slot in without touching this file.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { ApiKeyRecord, ApiKeys } from '../auth/api-keys';
import type { AuditLog } from '../audit';
import { authorize, presentedKey, recordAudit, requireDeclaredPermissions, sessionOfRoute } from './access';
import { healthRoutes, type HealthOptions } from './routes/health';
import type { UsageMeter } from '../usage';
import type { RuntimeMetrics } from '../metrics';
import type { RequestLog } from '../usage/requests';
import { ApiError } from '../errors';
import { runInRequest } from '../request-context';
import type { ErrorBody } from './errors';
import { dashboardRoutes, isDashboardPath } from '../dashboard';
import { forwardIfElsewhere, type OwnerLookup } from './forward';

export interface HttpDeps {
  logger: Logger;
  /** 'none' only for the standalone simulator, which listens on loopback. */
  apiKeys: ApiKeys | 'none';
  audit?: AuditLog;
  /** Readiness, session list and the metrics text for the probes and `/metrics`. */
  health?: Omit<HealthOptions, 'keys'>;
  usage?: UsageMeter;
  metrics?: RuntimeMetrics;
  requests?: RequestLog;
  version: string;
  routes: FastifyPluginAsync[];
  /** Accepts OAuth access tokens beside API keys: the credential a token stands for. */
  verifyToken?(token: string): Promise<ApiKeyRecord | undefined>;
  /** Plugins mounted at the root instead (the MCP endpoint); their routes declare `permission: 'public'` and authenticate themselves. */
  rootRoutes?: FastifyPluginAsync[];
  /** Serve the web dashboard under `/`. */
  dashboard?: boolean;
  /** Cluster mode: this runtime's id and where requests for a session it does not own go. */
  cluster?: { me: string; ownerOf: OwnerLookup };
}


export async function buildHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // a caller's X-Request-Id is kept when it is a plain token (it goes into logs and events), otherwise replaced
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : `req_${randomUUID()}`;
    },
    // event streams stay open: close them on shutdown instead of waiting for clients
    forceCloseConnections: true,
    // fastify's own request lines carry the full URL, query string included (where keys and tokens end up): one
    // line per request is logged below instead, with the path only
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024 * 1024,
  });
  app.setValidatorCompiler(validatorFor);
  // first of all hooks: everything the request does, and every event it causes, knows its id
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    runInRequest(request.id, done);
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: unknown }, request, reply) => {
    request.errorCode = error instanceof ApiError ? error.code : error.validation ? 'validation_failed' : (error.code ?? 'internal_error');
    if (error instanceof ApiError) {
      return reply.status(error.statusCode).send(body(error.code, error.message, error.details));
    }
    if (error.validation) {
      return reply.status(400).send(body('validation_failed', error.message, error.validation));
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    return reply.status(status).send(body(status === 500 ? 'internal_error' : (error.code ?? 'bad_request'), status === 500 ? 'Internal error' : error.message));
  });
  // the standalone simulator's control API has no keys, so no permissions either
  if (deps.apiKeys !== 'none') requireDeclaredPermissions(app);
  const { audit, requests, metrics } = deps;
  app.addHook('onResponse', async (request, reply) => {
    if (request.forwardedTo) return;
    if (audit) recordAudit(audit, request, reply.statusCode);
    const route = request.routeOptions.url;
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    if (metrics && route) {
      metrics.request(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
      if (request.routeOptions.config.send) metrics.sendAnswered((request.params as { id: string }).id, reply.statusCode, request.errorCode);
    }
    if (route?.startsWith('/api/v1/') && requests) {
      const session = sessionOfRoute(request);
      requests.record({
        method: request.method,
        route,
        status: reply.statusCode,
        ms,
        requestBytes: Number(request.headers['content-length'] ?? 0) || 0,
        responseBytes: Number(reply.getHeader('content-length') ?? 0) || 0,
        ...(request.apiKey && { keyId: request.apiKey.id }),
        ...(session && { session }),
        ip: request.ip,
        ...(request.headers['user-agent'] && { userAgent: request.headers['user-agent'].slice(0, 200) }),
        ...(request.errorCode && { errorCode: request.errorCode }),
      });
    }
    request.log.info({ method: request.method, path: request.url.split('?')[0], route, status: reply.statusCode, ms }, 'request');
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(body('not_found', `No route ${request.method} ${request.url.split('?')[0]}`));
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'WhatsApp Runtime API', version: deps.version, description: 'The REST API of the WhatsApp session runtime.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
      security: deps.apiKeys === 'none' ? [] : [{ bearer: [] }, { apiKey: [] }],
    },
    transform: ({ schema, url, route }) => ({ schema: { ...schema, ...(route.config?.permission && { 'x-permission': route.config.permission }) } as typeof schema, url }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const apiKeys = deps.apiKeys;
  // a key's expiry is audited when it is first refused for it (once per start)
  const expiredAudited = new Set<string>();
  if (apiKeys !== 'none') app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    // routes that declare `public` (health probes, MCP and OAuth, which authenticate themselves), the docs, the dashboard's files
    if (request.routeOptions.config.permission === 'public' || path === '/docs' || path.startsWith('/docs/') || (deps.dashboard && isDashboardPath(path))) return;
    const key = presentedKey(request.headers.authorization, request.headers['x-api-key']);
    let verdict = apiKeys.verify(key);
    if ('refused' in verdict && verdict.refused === 'unknown' && key && deps.verifyToken) {
      const record = await deps.verifyToken(key);
      if (record) verdict = { record };
    }
    if ('refused' in verdict) {
      const reason = verdict.refused;
      if (reason === 'expired' && verdict.record && !expiredAudited.has(verdict.record.id)) {
        expiredAudited.add(verdict.record.id);
        void audit?.record({ actor: { type: 'system' }, action: 'key.expired', target: { type: 'key', id: verdict.record.id }, result: 'success', details: { expiresAt: verdict.record.expiresAt ?? null } });
      }
      void audit?.authenticationFailed({ ip: request.ip, userAgent: request.headers['user-agent']?.slice(0, 200), reason: key ? reason : 'missing', keyId: verdict.record?.id });
      throw new ApiError(401, 'unauthorized', !key ? 'Missing API key: send "Authorization: Bearer <key>" or "X-Api-Key: <key>"' : reason === 'expired' ? 'The API key has expired' : reason === 'revoked' ? 'The API key has been revoked' : 'The API key is not valid');
    }
    request.apiKey = verdict.record;
    // the owner authorizes a forwarded request itself (it knows the session even before this runtime does)
    if (deps.cluster && (await forwardIfElsewhere(request, reply, sessionOfRoute(request), deps.cluster.ownerOf, deps.cluster.me))) return reply;
    authorize(request, verdict.record);
    // counted on arrival: a session deleted by this very request has no usage left after it
    if (request.routeOptions.url?.startsWith('/api/v1/')) deps.usage?.apiCall(sessionOfRoute(request), verdict.record.id);
  });

  if (deps.health) await app.register(healthRoutes, { ...deps.health, keys: deps.apiKeys });
  else app.get('/health', { config: { permission: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  for (const plugin of deps.routes) await app.register(plugin, { prefix: '/api/v1' });
  for (const plugin of deps.rootRoutes ?? []) await app.register(plugin);
  if (deps.dashboard) await app.register(dashboardRoutes);
  return app;
}

/**
 * Validation without type tricks: a JSON body is taken as sent (no string becomes a number: `"8"` is not 8), and
 * query, path and header strings are converted to the documented types but a number that comes out infinite
 * (`"Infinity"`, `"1e999"`) is refused; ajv's coercion let those through any bound.
 */
const bodyAjv = makeAjv(false);
const stringAjv = makeAjv('array');

function makeAjv(coerceTypes: false | 'array'): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

function validatorFor({ schema, httpPart }: { schema: object; httpPart?: string }): ValidateFunction {
  if (httpPart === 'body') return bodyAjv.compile(schema);
  const validate = stringAjv.compile(schema);
  const checked = ((data: unknown) => {
    const valid = validate(data);
    const infinite = valid ? nonFinitePaths(data) : [];
    checked.errors = infinite.length ? infinite.map((path): ErrorObject => ({ instancePath: path, schemaPath: '#/finite', keyword: 'finite', params: {}, message: 'must be a finite number' })) : validate.errors;
    return valid && !infinite.length;
  }) as ValidateFunction;
  return checked;
}

function nonFinitePaths(data: unknown, path = ''): string[] {
  if (typeof data === 'number') return Number.isFinite(data) ? [] : [path];
  if (data && typeof data === 'object') return Object.entries(data).flatMap(([key, value]) => nonFinitePaths(value, `${path}/${key}`));
  return [];
}


function body(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
