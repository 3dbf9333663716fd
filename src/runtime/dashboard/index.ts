/**
 * dashboard/: the web dashboard, served by the runtime on its own port under `/`. Static files only (no build
 * step, no secrets): the page asks for an API key, keeps it in the browser session, and does everything through the
 * same REST API and event stream as every other client.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

const PUBLIC = join(__dirname, 'public');

/** The page, its stylesheet and its ES modules (one per view, plus api, dom, render, state and stream). */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  ...Object.fromEntries(readdirSync(PUBLIC).filter((file) => file.endsWith('.js')).map((file) => [`/dashboard/${file}`, { file, type: 'text/javascript; charset=utf-8' }])),
};

/** Paths the dashboard serves without an API key. */
export function isDashboardPath(path: string): boolean {
  return path in FILES;
}

function send(reply: FastifyReply, type: string, content: Buffer): FastifyReply {
  return (
    reply
      .type(type)
      // the page holds an API key: no framing by other sites, no inline scripts, nothing loaded from elsewhere
      .header('content-security-policy', "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(content)
  );
}

const contents = new Map<string, Buffer>();

/** A file's content, read once. */
function contentOf(file: string): Buffer {
  let content = contents.get(file);
  if (!content) contents.set(file, (content = readFileSync(join(PUBLIC, file))));
  return content;
}

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  for (const [path, { file, type }] of Object.entries(FILES)) {
    const content = contentOf(file);
    app.get(path, { schema: { hide: true } }, async (_request, reply) => send(reply, type, content));
  }
};

/** The dashboard's page at another path (the OAuth consent URL), where it opens the matching view. */
export function sendDashboardPage(reply: FastifyReply): FastifyReply {
  return send(reply, FILES['/'].type, contentOf(FILES['/'].file));
}
