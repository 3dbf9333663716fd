/**
 * sandbox/connection: one client WebSocket: the Noise handshake, then binary nodes in and out over the encrypted
 * transport. Frames are handled strictly in order (node decoding is async).
 */
import type { WebSocket } from 'ws';
import type { Baileys } from '../whatsapp/baileys';
import { FrameReader, NoiseResponder, frame, type KeyPair } from './noise';
import type { BinaryNode } from './phone';

export type ClientPayload = ReturnType<Baileys['proto']['ClientPayload']['decode']>;

export interface ConnectionHandlers {
  onPayload(conn: Connection, payload: ClientPayload): Promise<void> | void;
  onNode(conn: Connection, node: BinaryNode): Promise<void> | void;
  onClose(conn: Connection): void;
}

let connectionCounter = 0;

export class Connection {
  readonly id = ++connectionCounter;
  clientStatic: Uint8Array | undefined;
  /** Set once the connection logged in as a linked device: `<user>:<device>`. */
  deviceKey: string | undefined;
  closed = false;
  private readonly noise: NoiseResponder;
  private readonly reader = new FrameReader();
  private handshakeStep: 'hello' | 'finish' | 'transport' = 'hello';
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly b: Baileys,
    private readonly ws: WebSocket,
    serverStatic: KeyPair,
    certChain: Uint8Array,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.noise = new NoiseResponder(b, serverStatic, certChain);
    ws.on('message', (data: Buffer) => this.onData(data));
    ws.on('close', () => this.markClosed());
    ws.on('error', () => this.markClosed());
  }

  send(node: BinaryNode): void {
    if (this.closed || !this.noise.ready) return;
    this.ws.send(frame(this.noise.encryptFrame(this.b.encodeBinaryNode(node))));
  }

  /** Ends the stream the way WhatsApp does: a final node (stream:error, failure), then the socket closes. */
  end(finalNode?: BinaryNode): void {
    if (this.closed) return;
    if (finalNode) this.send(finalNode);
    this.markClosed();
    setTimeout(() => this.ws.close(), 20).unref();
  }

  /** A dropped network: no goodbye. */
  drop(): void {
    this.markClosed();
    this.ws.terminate();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose(this);
  }

  private onData(data: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(data);
    } catch {
      this.drop();
      return;
    }
    for (const raw of frames) {
      this.chain = this.chain.then(() => this.onFrame(raw)).catch(() => this.drop());
    }
  }

  private async onFrame(raw: Buffer): Promise<void> {
    if (this.closed) return;
    const { proto } = this.b;
    if (this.handshakeStep === 'hello') {
      const hello = proto.HandshakeMessage.decode(raw).clientHello;
      if (!hello?.ephemeral) throw new Error('expected ClientHello');
      this.ws.send(frame(this.noise.serverHello(hello.ephemeral)));
      this.handshakeStep = 'finish';
      return;
    }
    if (this.handshakeStep === 'finish') {
      const finish = proto.HandshakeMessage.decode(raw).clientFinish;
      if (!finish) throw new Error('expected ClientFinish');
      const { clientStatic, payload } = this.noise.clientFinish(finish);
      this.clientStatic = clientStatic;
      this.handshakeStep = 'transport';
      await this.handlers.onPayload(this, payload);
      return;
    }
    const node = await this.b.decodeBinaryNode(this.noise.decryptFrame(raw));
    await this.handlers.onNode(this, node);
  }
}
