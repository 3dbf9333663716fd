/**
 * sandbox/media: the media host WhatsApp clients upload encrypted media to and download it from. Baileys
 * hardcodes `https://`, so this is a loopback HTTPS server with a self-signed certificate made at start; clients
 * trust it through `agent` (uploads) and an undici `dispatcher` (downloads), in sandbox mode only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, Agent as HttpsAgent, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { Agent as UndiciAgent } from 'undici';
import { readFile, unlink } from 'node:fs/promises';
import type { Baileys } from '../whatsapp/baileys';
import type { ProtoMessage } from './phone';
import { now, type MediaKind } from './wire';

const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/** Media a simulated phone sends: the plain bytes and what the message says about them. */
export interface MediaUpload {
  kind: MediaKind;
  data: Buffer;
  mimetype: string;
  caption?: string;
  fileName?: string;
  ptt?: boolean;
  seconds?: number;
}

export class MediaHost {
  /** Token clients must present on upload (handed out in `media_conn`). */
  readonly auth = randomBytes(24).toString('base64url');
  /** Trusts the host's certificate: for Baileys' `fetchAgent` (uploads). */
  readonly agent: HttpsAgent;
  /** Trusts the host's certificate: for `downloadMediaMessage(..., { options: { dispatcher } })`. */
  readonly dispatcher: UndiciAgent;
  private readonly blobs = new Map<string, Buffer>();

  private constructor(
    private readonly server: Server,
    readonly certificatePem: string,
    readonly hostname: string,
  ) {
    this.agent = new HttpsAgent({ ca: certificatePem, keepAlive: false });
    this.dispatcher = new UndiciAgent({ connect: { ca: certificatePem } });
  }

  static async start(host = '127.0.0.1'): Promise<MediaHost> {
    const pems = await generate([{ name: 'commonName', value: 'whatsapp-sandbox-media' }], {
      keyType: 'ec',
      curve: 'P-256',
      notAfterDate: new Date(Date.now() + 7 * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
      ],
    });
    const started: { host?: MediaHost } = {};
    const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => started.host?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    started.host = new MediaHost(server, pems.cert, `${host}:${port}`);
    return started.host;
  }

  /** Stores encrypted media as an upload would; returns what a media message carries. */
  put(encrypted: Buffer): { url: string; directPath: string } {
    const directPath = `/v/t62.sandbox/${randomBytes(16).toString('hex')}.enc`;
    this.blobs.set(directPath, encrypted);
    return { url: `https://${this.hostname}${directPath}`, directPath };
  }

  get(directPath: string): Buffer | undefined {
    return this.blobs.get(directPath.split('?')[0]);
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await this.dispatcher.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    const url = new URL(req.url ?? '/', `https://${this.hostname}`);
    if (req.method === 'GET') {
      const blob = this.get(url.pathname);
      res.writeHead(blob ? 200 : 404, { 'content-type': 'application/octet-stream' }).end(blob);
      return;
    }
    if (req.method !== 'POST' || !url.pathname.startsWith('/mms/') || url.searchParams.get('auth') !== this.auth) {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'forbidden' }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_UPLOAD_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const { url: mediaUrl, directPath } = this.put(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: mediaUrl, direct_path: directPath }));
    });
  }

  /**
   * Encrypts and uploads `data` as `from`'s phone would, and returns the media message to send with
   * the simulator's `sendMessage`/`sendGroupMessage`.
   */
  async upload(b: Baileys, input: MediaUpload): Promise<ProtoMessage> {
    const mediaType = input.kind === 'voice' ? 'audio' : input.kind;
    const encrypted = await b.encryptedStream(input.data, mediaType);
    try {
      const { url, directPath } = this.put(await readFile(encrypted.encFilePath));
      const fields = {
        url,
        directPath,
        mediaKey: encrypted.mediaKey,
        fileEncSha256: encrypted.fileEncSha256,
        fileSha256: encrypted.fileSha256,
        fileLength: encrypted.fileLength,
        mimetype: input.mimetype,
        mediaKeyTimestamp: Number(now()),
        ...(input.caption !== undefined && { caption: input.caption }),
        ...(input.fileName !== undefined && { fileName: input.fileName, title: input.fileName }),
        ...(input.kind === 'voice' && { ptt: true }),
        ...(input.seconds !== undefined && { seconds: input.seconds }),
      };
      return { [`${mediaType}Message`]: fields } as ProtoMessage;
    } finally {
      await unlink(encrypted.encFilePath).catch(() => undefined);
    }
  }

  /** Downloads and decrypts the media of a message a simulated user received. */
  async download(b: Baileys, message: ProtoMessage): Promise<Buffer> {
    const kind = (['imageMessage', 'videoMessage', 'audioMessage', 'documentMessage', 'stickerMessage'] as const).find((k) => message[k]);
    if (!kind) throw new Error('message has no media');
    const stream = await b.downloadContentFromMessage(message[kind]!, kind.replace('Message', '') as 'image', { options: { dispatcher: this.dispatcher } as never });
    return b.toBuffer(stream);
  }
}
