/**
 * A real, unmodified Baileys client pointed at the simulator, with an in-memory auth state and an event recorder,
 * for tests that drive the WhatsApp protocol end to end.
 */
import pino from 'pino';
import { loadBaileys, type Baileys } from '../../src/runtime/whatsapp/baileys';
import type { Simulator } from '../../src/runtime/sandbox/simulator';
import { memoryKeyStore } from '../../src/runtime/sandbox/phone';
import { handleRegistrationRefresh } from '../../src/runtime/whatsapp/pairing';

type WASocket = ReturnType<Baileys['makeWASocket']>;
type AuthenticationCreds = ReturnType<Baileys['initAuthCreds']>;
type EventMap = import('@whiskeysockets/baileys', { with: { 'resolution-mode': 'import' } }).BaileysEventMap;

export interface RecordedEvent<K extends keyof EventMap = keyof EventMap> {
  name: K;
  data: EventMap[K];
}

/** Auth state kept in memory, shared across reconnects like a real store would be. */
export class MemoryAuth {
  readonly keys = new Map<string, unknown>();
  constructor(public creds: AuthenticationCreds) {}

  state() {
    return { creds: this.creds, keys: memoryKeyStore(this.keys) };
  }

  count(type: string): number {
    return [...this.keys.keys()].filter((k) => k.startsWith(`${type}:`)).length;
  }
}

export class TestClient {
  readonly events: RecordedEvent[] = [];
  sock!: WASocket;

  private constructor(
    private readonly b: Baileys,
    private readonly sim: Simulator,
    readonly auth: MemoryAuth,
    private readonly refreshFix: boolean,
  ) {}

  /** `refreshFix: false` leaves rc14 as it is: it drops companion_reg_refresh and can never link by QR. */
  static async create(sim: Simulator, auth?: MemoryAuth, options: { refreshFix?: boolean } = {}): Promise<TestClient> {
    const b = await loadBaileys();
    b.WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(sim.rootKey.public);
    const client = new TestClient(b, sim, auth ?? new MemoryAuth(b.initAuthCreds()), options.refreshFix ?? true);
    client.connect();
    return client;
  }

  /** Opens a new socket on the same auth state (what a server does after a 515 or a network drop). */
  connect(): WASocket {
    const { b } = this;
    const logger = pino({ level: process.env.BAILEYS_LOG ?? 'silent' });
    this.sock = b.makeWASocket({
      auth: this.auth.state() as never,
      logger: logger as never,
      waWebSocketUrl: this.sim.url,
      browser: b.Browsers.ubuntu('Sandbox Test'),
      markOnlineOnConnect: false,
      syncFullHistory: false,
      shouldSyncHistoryMessage: () => false,
      fireInitQueries: false,
      connectTimeoutMs: 10_000,
      fetchAgent: this.sim.media.agent,
    });
    const sock = this.sock;
    if (this.refreshFix) {
      let current: string | undefined;
      sock.ev.on('connection.update', (update) => (current = update.qr ?? current));
      handleRegistrationRefresh(sock, { currentQr: () => current, pairingByCode: () => !!this.auth.creds.pairingCode, logger });
    }
    sock.ev.on('creds.update', (update) => Object.assign(this.auth.creds, update));
    const names: (keyof EventMap)[] = [
      'connection.update', 'creds.update', 'messages.upsert', 'messages.update', 'messages.reaction',
      'message-receipt.update', 'groups.upsert', 'groups.update', 'group-participants.update', 'contacts.upsert',
    ];
    for (const name of names) sock.ev.on(name, (data) => this.events.push({ name, data } as RecordedEvent));
    return sock;
  }

  /** Resolves with the first recorded event (past or future) named `name` that matches `predicate`. */
  async waitFor<K extends keyof EventMap>(name: K, predicate: (data: EventMap[K]) => boolean = () => true, timeoutMs = 8000): Promise<EventMap[K]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.name === name && predicate(e.data as EventMap[K]));
      if (found) return found.data as EventMap[K];
      if (Date.now() > deadline) throw new Error(`no ${String(name)} event matched within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits for the current socket to close and returns its disconnect status code. */
  async waitForClose(timeoutMs = 8000): Promise<number | undefined> {
    const update = await this.waitFor('connection.update', (u) => u.connection === 'close', timeoutMs);
    return statusCode(update.lastDisconnect?.error);
  }

  /** The QR code the client shows now (the last one it emitted). */
  latestQr(): string | undefined {
    return this.events.filter((e): e is RecordedEvent<'connection.update'> => e.name === 'connection.update' && !!(e.data as { qr?: string }).qr).at(-1)?.data.qr;
  }

  /** All messages from `messages.upsert` events so far. */
  upserts(type?: 'notify' | 'append') {
    return this.events
      .filter((e): e is RecordedEvent<'messages.upsert'> => e.name === 'messages.upsert')
      .filter((e) => !type || e.data.type === type)
      .flatMap((e) => e.data.messages);
  }

  async end(): Promise<void> {
    this.sock.end(undefined);
  }
}

/** Links a fresh client as a device of `phone` by QR, through the 515 restart, until the connection is open. */
export async function linkByQr(sim: Simulator, phone: string): Promise<TestClient> {
  const client = await TestClient.create(sim);
  await sim.scanQrUntilLinked(() => client.latestQr(), phone);
  await client.waitFor('connection.update', (u) => u.connection === 'close');
  client.events.length = 0;
  client.connect();
  await client.waitFor('connection.update', (u) => u.connection === 'open');
  await client.waitFor('connection.update', (u) => u.receivedPendingNotifications === true);
  return client;
}

export function statusCode(error: unknown): number | undefined {
  return (error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
}
