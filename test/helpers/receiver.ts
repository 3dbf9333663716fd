/** A local webhook receiver: records every request and answers with whatever `respond` decides. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; session: string; data: Record<string, unknown> };
  status: number;
}

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  respond: (request: Omit<ReceivedRequest, 'status'>, index: number) => number = () => 200;
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(port = 0): Promise<Receiver> {
    const holder: { receiver?: Receiver } = {};
    const server = createServer((req, res) => {
      const receiver = holder.receiver!;
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const partial = { url: req.url ?? '', headers: req.headers, body, json: JSON.parse(body || '{}') };
        const status = receiver.respond(partial, receiver.requests.length);
        receiver.requests.push({ ...partial, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    holder.receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    return holder.receiver;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  delivered(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  async waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.requests)) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${this.requests.length} requests)`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
