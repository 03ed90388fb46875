import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { buildConfirm, buildDeny, COMMAND, FrameReader, timeLabelFromDate } from '@fireiot/gb26875';

/** What the fake centre does with an upload (command 2). */
export type CentreReply = 'confirm' | 'deny' | 'none';

export interface FakeCentreOptions {
  /** Decides the answer to each upload; `index` counts the uploads received (0-based). Default: confirm. */
  readonly reply?: (frame: Buffer, index: number) => CentreReply;
}

/**
 * A tiny GB/T 26875.3 monitoring centre for tests: a TCP server on an ephemeral port of
 * 127.0.0.1 that reassembles frames with the codec's FrameReader, records them, confirms
 * uploads (or denies, or withholds) with `buildConfirm`, and can send frames to its clients.
 */
export class FakeCentre {
  /** Every frame received, in order (copies). */
  readonly received: Buffer[] = [];
  /** Every reply the centre wrote. */
  readonly replies: Buffer[] = [];
  readonly connections: Socket[] = [];
  private uploads = 0;
  private waiters: { match: (f: Buffer) => boolean; resolve: (f: Buffer) => void }[] = [];

  private constructor(
    private readonly server: Server,
    private readonly options: FakeCentreOptions,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: FakeCentreOptions = {}): Promise<FakeCentre> {
    const server = createServer();
    const centre = new FakeCentre(server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return centre;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The uploads (command 2) received. */
  get uploadFrames(): Buffer[] {
    return this.received.filter((f) => f[26] === COMMAND.SEND_DATA);
  }

  /** Writes a frame to the n-th client connection. */
  send(frame: Buffer, connection = 0): void {
    const socket = this.connections[connection];
    if (socket === undefined) throw new Error(`no connection ${connection}`);
    socket.write(frame);
  }

  /** The first received frame (already there or to come) that matches; rejects after `timeoutMs`. */
  waitFor(match: (frame: Buffer) => boolean, timeoutMs = 3000): Promise<Buffer> {
    const found = this.received.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Buffer) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms (${this.received.length} received)`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves once at least one client is connected. */
  async waitForConnections(n: number, timeoutMs = 3000): Promise<void> {
    await waitUntil(() => this.connections.length >= n, timeoutMs);
  }

  async close(): Promise<void> {
    for (const s of this.connections) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.connections.push(socket);
    socket.setNoDelay(true);
    const reader = new FrameReader({
      frame: (bytes) => this.frame(socket, Buffer.from(bytes)),
      invalid: () => undefined,
      garbage: () => undefined,
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined);
  }

  private frame(socket: Socket, bytes: Buffer): void {
    this.received.push(bytes);
    if (bytes[26] === COMMAND.SEND_DATA) {
      const answer = this.options.reply?.(bytes, this.uploads) ?? 'confirm';
      this.uploads++;
      const now = timeLabelFromDate(new Date());
      const reply = answer === 'confirm' ? buildConfirm(bytes, now) : answer === 'deny' ? buildDeny(bytes, now) : null;
      if (reply !== null) {
        this.replies.push(reply);
        socket.write(reply);
      }
    }
    for (const w of this.waiters.filter((x) => x.match(bytes))) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(bytes);
    }
  }
}

/** Polls `condition` every 5 ms; rejects after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
