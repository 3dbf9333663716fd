/** Starts a runtime in-process (sandbox mode by default) with a temporary data directory, plus a tiny API client. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime, type RuntimeConfigInput } from '../../src/runtime';
import type { RuntimeEvent } from '../../src/runtime/events/schema';
import type { Logger } from 'pino';
import type { Clock } from '../../src/runtime/outbound/clock';
import type { Simulator } from '../../src/runtime/sandbox/simulator';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestRuntime {
  runtime: Runtime;
  events: RuntimeEvent[];
  dataDir: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  waitForEvent(predicate: (e: RuntimeEvent) => boolean, timeoutMs?: number): Promise<RuntimeEvent>;
  close(options?: { keepData?: boolean }): Promise<void>;
}

export async function startRuntime(config: RuntimeConfigInput = {}, dataDir = mkdtempSync(join(tmpdir(), 'wa-runtime-')), options: { clock?: Clock; random?: () => number; logger?: Logger } = {}): Promise<TestRuntime> {
  const runtime = createRuntime({ port: 0, logLevel: 'silent', adminApiKey: ADMIN_KEY, dataDir, sandbox: true, restoreStaggerMs: 0, ...config }, options);
  const events: RuntimeEvent[] = [];
  runtime.bus.subscribe((event) => events.push(event));
  await runtime.start();
  return {
    runtime,
    events,
    dataDir,
    async api(method, path, body, headers = {}) {
      const isJson = body !== undefined && !(body instanceof FormData);
      const response = await fetch(`${runtime.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(isJson && { 'content-type': 'application/json' }), ...headers },
        body: isJson ? JSON.stringify(body) : (body as FormData | undefined),
      });
      const type = response.headers.get('content-type') ?? '';
      const parsed = type.includes('json') ? await response.json() : type.startsWith('text/') || type.includes('svg') ? await response.text() : Buffer.from(await response.arrayBuffer());
      return { status: response.status, body: parsed as never, headers: response.headers };
    },
    async waitForEvent(predicate, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms; got: ${events.map((e) => e.type).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close(options = {}) {
      await runtime.stop();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a session through the API and links it by QR through the simulator; resolves when it is connected. */
export async function linkSession(t: TestRuntime, id: string, phone: string): Promise<void> {
  const created = await t.api('POST', '/api/v1/sessions', { id });
  if (created.status !== 201 && created.status !== 200) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  await scanSessionQr(t, t.runtime.sandbox!, id, phone);
  await t.waitForEvent((e) => e.type === 'session.status' && e.session === id && (e.data as { status: string }).status === 'connected', 10_000);
}

/**
 * Scans the session's QR code with the phone of `phone` until it links: WhatsApp retires the first QR's secret
 * (companion_reg_refresh) and the session shows the same QR with a new one, which is scanned again.
 */
export async function scanSessionQr(t: Pick<TestRuntime, 'api'>, sim: Simulator, id: string, phone: string): Promise<void> {
  await sim.scanQrUntilLinked(async () => {
    const qr = await t.api('GET', `/api/v1/sessions/${id}/qr?format=raw`);
    return qr.status === 200 ? (qr.body as string) : undefined;
  }, phone);
}
