import { Socket } from 'node:net';
import { FrameReader, FrameSink } from '@fireiot/gb26875';
import { DevicePresence, ReceiveClock, ReceiveTime } from '@fireiot/events';
import { DeviceRecord } from '@fireiot/storage';

/** What a connection knows about the device behind it once the first frame has bound it. */
export interface BoundDevice {
  readonly deviceKey: string;
  readonly address: string;
  deviceId: string | null;
  /** The registry's record (null: unregistered), with the profile overrides the patrols follow. */
  record: DeviceRecord | null;
  checkedAt: number;
  /** The registry lookup under way, if any. */
  lookup: Promise<void> | null;
}

/** Receives what a connection's reader finds, with the receive time of the chunk. */
export interface ConnectionHandler {
  frame(conn: DeviceConnection, bytes: Buffer, at: ReceiveTime): void;
  invalid(conn: DeviceConnection, bytes: Buffer, reason: { code: string; message: string }, at: ReceiveTime): void;
  /** `kept` are the first of `seen` bytes outside any frame (empty once the budget is spent). */
  garbage(conn: DeviceConnection, kept: Buffer, seen: number, at: ReceiveTime): void;
  closed(conn: DeviceConnection, cause: CloseCause): void;
}

/** Who ended a connection (the presence message's `closedBy`). */
export type ClosedBy = NonNullable<DevicePresence['closedBy']>;

/**
 * Why a connection closed: `peer` when the device closed or reset it; otherwise the gateway
 * closed it — `replaced` (the device opened a newer connection), `shutdown` (the gateway is
 * stopping), `platform` (its own reasons: idle timeout, protocol abuse, limits).
 */
export interface CloseCause {
  readonly closedBy: ClosedBy;
  /** Human-readable: 'closed by peer', 'reset', 'idle timeout', 'replaced by a newer connection'… */
  readonly reason: string;
}

/**
 * Why a socket is not being read: too many of its frames wait for storage, storage as a whole
 * lags, or the gateway is stopping (never resumed: reading stops for good).
 */
export type PauseReason = 'in-flight' | 'storage' | 'shutdown';

export interface ConnectionLimits {
  /** Unconfirmed frames a connection may have in flight before its socket is paused. */
  readonly maxInFlight: number;
  /** Quarantined garbage bytes kept per connection; beyond that only counted. */
  readonly maxGarbageBytes: number;
}

/**
 * One device's TCP connection: a FrameReader over the socket, the receive time of each chunk,
 * the device it is bound to, and flow control (the socket is paused while too many of its
 * frames wait for storage, so a fast peer cannot outrun the database).
 */
export class DeviceConnection {
  readonly peer: string;
  readonly ip: string;
  device: BoundDevice | null = null;
  /** Monotonic ms of the last byte received, and since when a partial frame has been held. */
  lastDataAt: number;
  partialSince = 0;
  inFlight = 0;
  closing = false;
  /**
   * Monotonic ms of the last presence message published for this connection (connected or
   * heartbeat), for the sign-of-life throttle (CQC/SC 11002 4.4.2).
   */
  lastPresenceMs = Number.NEGATIVE_INFINITY;
  /** How many times reading has been paused: what the device sent meanwhile waited unread (its answers too). */
  pauses = 0;
  private closeCause: CloseCause | null = null;
  private pausedBy = new Set<PauseReason>();
  private readonly reader: FrameReader;
  private chunkTime: ReceiveTime | null = null;
  private corked = false;
  /** Garbage of the current chunk (kept part), its size, all garbage seen, and kept so far. */
  private garbage: Buffer[] = [];
  private garbageBytes = 0;
  private garbageSeen = 0;
  private garbageKept = 0;

  constructor(
    readonly socket: Socket,
    private readonly handler: ConnectionHandler,
    private readonly clock: ReceiveClock,
    private readonly limits: ConnectionLimits,
  ) {
    this.ip = socket.remoteAddress ?? 'unknown';
    this.peer = `${this.ip}:${socket.remotePort ?? 0}`;
    this.lastDataAt = performance.now();
    const sink: FrameSink = {
      frame: (bytes) => this.handler.frame(this, bytes, this.time()),
      invalid: (bytes, error) =>
        this.handler.invalid(this, bytes, { code: error.code, message: error.message }, this.time()),
      garbage: (bytes) => this.collectGarbage(bytes),
    };
    this.reader = new FrameReader(sink);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // 'close' follows; the reason is recorded there
    socket.on('close', (hadError) => {
      this.reader.end();
      this.flushGarbage();
      this.handler.closed(this, this.closeCause ?? { closedBy: 'peer', reason: hadError ? 'reset' : 'closed by peer' });
    });
  }

  /** Replies written in one turn of the event loop leave in one syscall (cork until next tick). */
  write(bytes: Buffer): void {
    if (this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }

  /** The gateway closes the connection (`closedBy` says why: its own reasons, a newer connection, shutdown). */
  close(reason: string, closedBy: Exclude<ClosedBy, 'peer'> = 'platform'): void {
    if (this.closing) return;
    this.closing = true;
    this.closeCause = { closedBy, reason };
    this.socket.end();
    // A peer that does not finish the close in time is cut off.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** The connection has been quiet with a partial frame held: give up on it (see FrameReader). */
  resync(): void {
    this.chunkTime = this.clock.now();
    this.reader.resync();
    this.flushGarbage();
    this.chunkTime = null;
    this.partialSince = this.reader.stats.buffered > 0 ? this.lastDataAt : 0;
  }

  frameStarted(): void {
    this.inFlight++;
    if (this.inFlight >= this.limits.maxInFlight) this.pause('in-flight');
  }

  frameSettled(): void {
    this.inFlight--;
    if (this.inFlight <= this.limits.maxInFlight / 2) this.resume('in-flight');
  }

  pause(why: PauseReason): void {
    if (this.pausedBy.size === 0) this.pauses++;
    this.pausedBy.add(why);
    this.socket.pause();
  }

  resume(why: PauseReason): void {
    if (!this.pausedBy.delete(why) || this.pausedBy.size > 0 || this.closing) return;
    this.socket.resume();
  }

  get paused(): boolean {
    return this.pausedBy.size > 0;
  }

  private onData(chunk: Buffer): void {
    // GB/T 26875.3 receive time: when the chunk holding a frame's last byte is read.
    this.chunkTime = this.clock.now();
    this.lastDataAt = performance.now();
    const before = this.progress();
    this.reader.push(chunk);
    this.flushGarbage();
    this.chunkTime = null;
    // A partial frame's age counts from the chunk it began in. When this chunk settled what was
    // held (a frame, a rejected candidate, skipped bytes), what is held now is a new partial
    // frame: a busy stream whose chunks all end mid-frame is no slow-loris peer.
    if (this.reader.stats.buffered === 0) this.partialSince = 0;
    else if (this.partialSince === 0 || this.progress() !== before) this.partialSince = this.lastDataAt;
  }

  /** Grows whenever the reader settles bytes (frames, rejected candidates, garbage). */
  private progress(): number {
    const stats = this.reader.stats;
    return stats.frames + stats.invalid + stats.garbageBytes;
  }

  /**
   * Bytes outside any frame are gathered per chunk and handed over as one piece, up to the
   * connection's budget (a garbage flood is counted, not stored without end).
   */
  private collectGarbage(bytes: Buffer): void {
    this.garbageSeen += bytes.length;
    const room = this.limits.maxGarbageBytes - this.garbageKept - this.garbageBytes;
    if (room <= 0) return;
    const kept = bytes.subarray(0, room);
    this.garbage.push(Buffer.from(kept));
    this.garbageBytes += kept.length;
  }

  private flushGarbage(): void {
    if (this.garbageSeen === 0) return;
    const seen = this.garbageSeen;
    const kept = Buffer.concat(this.garbage);
    this.garbage = [];
    this.garbageSeen = 0;
    this.garbageBytes = 0;
    this.garbageKept += kept.length;
    this.handler.garbage(this, kept, seen, this.time());
  }

  /** One clock reading per chunk (frames found by a timed-out resync get their own). */
  private time(): ReceiveTime {
    this.chunkTime ??= this.clock.now();
    return this.chunkTime;
  }
}
