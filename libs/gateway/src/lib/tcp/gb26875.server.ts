import { Logger } from '@nestjs/common';
import { createServer, Server, Socket } from 'node:net';
import { EventBus } from '@fireiot/bus';
import { FireiotConfig } from '@fireiot/config';
import { microsToIso, ReceiveClock, ReceiveTime } from '@fireiot/events';
import { RawStore } from '@fireiot/storage';
import { CloseCause, ConnectionHandler, DeviceConnection } from './device-connection';
import { DownlinkService } from './downlink.service';
import { FrameIngestService } from './frame-ingest.service';
import { PatrolScheduler } from './patrol.scheduler';

export interface Gb26875ServerOptions {
  /** Quiet time after which a partial frame held behind junk is given up (FrameReader.resync). */
  readonly resyncAfterMs?: number;
  /** A frame that has not completed after this long is given up (slow-loris peers). */
  readonly partialFrameTimeoutMs?: number;
  readonly maxInFlightPerConnection?: number;
  /** Storage backlog (rows) at which every socket pauses, and below which they resume. */
  readonly storageHighWater?: number;
  readonly storageLowWater?: number;
  /** Loopback peers (simulators, local relays) are not subject to the per-IP connect rate. */
  readonly exemptLoopbackFromRate?: boolean;
  readonly sweepIntervalMs?: number;
}

export interface Gb26875ServerStats {
  connections: number;
  boundDevices: number;
  accepted: number;
  refusedOverCapacity: number;
  refusedRate: number;
  closedIdle: number;
  pausedForStorage: boolean;
}

/**
 * The GB/T 26875.3 TCP gateway (FIREIOT_GB26875_PORT): accepts device connections within limits
 * (a cap on connections, a connect rate per source IP, an idle timeout, a bound on a partial
 * frame's life), hands frames to `FrameIngestService`, and pauses sockets while storage lags.
 * Nothing a peer sends can throw out of here: each connection's failures stay its own.
 * The patrol scheduler (GB/T 26875.3 type 81), if given, runs while the server listens.
 */
export class Gb26875Server implements ConnectionHandler {
  private readonly logger = new Logger(Gb26875Server.name);
  private readonly server: Server;
  private readonly connections = new Set<DeviceConnection>();
  private readonly rate = new Map<string, { tokens: number; at: number }>();
  private readonly clock = new ReceiveClock();
  private readonly options: Required<Gb26875ServerOptions>;
  private sweepTimer: NodeJS.Timeout | null = null;
  private storagePaused = false;
  private readonly counters = { accepted: 0, refusedOverCapacity: 0, refusedRate: 0, closedIdle: 0 };
  private stopping = false;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly config: FireiotConfig,
    private readonly ingest: FrameIngestService,
    private readonly downlinks: DownlinkService,
    private readonly store: RawStore,
    private readonly bus: EventBus,
    options: Gb26875ServerOptions = {},
    private readonly patrols: PatrolScheduler | null = null,
  ) {
    this.options = {
      resyncAfterMs: options.resyncAfterMs ?? 500,
      partialFrameTimeoutMs: options.partialFrameTimeoutMs ?? 30_000,
      maxInFlightPerConnection: options.maxInFlightPerConnection ?? 256,
      storageHighWater: options.storageHighWater ?? 20_000,
      storageLowWater: options.storageLowWater ?? 5_000,
      exemptLoopbackFromRate: options.exemptLoopbackFromRate ?? true,
      sweepIntervalMs: options.sweepIntervalMs ?? 250,
    };
    this.server = createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => this.logger.error({ msg: 'gateway server error', error: String(error) }));
  }

  async listen(port = this.config.gb26875.port, host = this.config.host): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.sweepTimer = setInterval(() => this.sweep(), this.options.sweepIntervalMs);
    this.sweepTimer.unref();
    this.patrols?.start();
    const address = this.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    this.logger.log({ msg: 'GB/T 26875.3 gateway listening', host, port: bound });
    return bound;
  }

  stats(): Gb26875ServerStats {
    let bound = 0;
    for (const c of this.connections) if (c.device) bound++;
    return {
      connections: this.connections.size,
      boundDevices: bound,
      pausedForStorage: this.storagePaused,
      ...this.counters,
    };
  }

  /**
   * Graceful stop: refuse new connections, stop reading, let every frame already read be stored
   * and confirmed (patrol answers among them), stop patrolling (patrols in flight: aborted,
   * recorded), then close the sockets.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.patrols?.quiesce();
    // A reason of its own: a frame settling later must not resume the socket ('in-flight').
    for (const conn of this.connections) conn.pause('shutdown');
    await this.settle();
    await this.patrols?.stop();
    this.downlinks.stop();
    for (const conn of this.connections) conn.close('platform shutting down', 'shutdown');
    const deadline = Date.now() + 3000;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.connections) conn.socket.destroy();
    await closed;
    // What the closing sockets still held (a partial frame given up, garbage) and their presence.
    await this.settle();
  }

  private async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  // ConnectionHandler: every entry point tracks its promise and never lets it reject.
  frame(conn: DeviceConnection, bytes: Buffer, at: ReceiveTime): void {
    this.track(this.ingest.frame(conn, bytes, at));
  }

  invalid(conn: DeviceConnection, bytes: Buffer, reason: { code: string; message: string }, at: ReceiveTime): void {
    this.track(this.ingest.invalid(conn, Buffer.from(bytes), reason, at));
  }

  garbage(conn: DeviceConnection, kept: Buffer, seen: number, at: ReceiveTime): void {
    this.track(this.ingest.garbage(conn, kept, seen, at));
  }

  closed(conn: DeviceConnection, cause: CloseCause): void {
    this.connections.delete(conn);
    const device = conn.device;
    if (!device) return;
    this.downlinks.detach(device.deviceKey, conn);
    this.patrols?.remove(conn);
    const { reason, closedBy } = cause;
    this.logger.log({ msg: 'device disconnected', deviceKey: device.deviceKey, peer: conn.peer, reason, closedBy });
    const at = microsToIso(this.clock.now().wallUs);
    // A connection that closes while its first registry lookup runs is announced (connected) when
    // the lookup returns: its disconnection follows that, never precedes it. (The lookup never rejects.)
    this.track(
      (device.lookup ?? Promise.resolve())
        .then(() =>
          this.bus.publish('fireiot.device.presence.v1', device.deviceKey, {
            deviceKey: device.deviceKey,
            deviceId: device.deviceId,
            event: 'disconnected',
            at,
            gatewayId: this.config.gatewayId,
            reason,
            closedBy,
            peer: conn.peer,
          }),
        )
        .catch((error: unknown) => this.logger.warn({ msg: 'presence not published', error: String(error) })),
    );
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.stopping) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.config.gb26875.maxConnections) {
      this.counters.refusedOverCapacity++;
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? 'unknown';
    if (!this.takeToken(ip)) {
      this.counters.refusedRate++;
      if (this.counters.refusedRate % 1000 === 1)
        this.logger.warn({ msg: 'connection rate limit', ip, refused: this.counters.refusedRate });
      socket.destroy();
      return;
    }
    this.counters.accepted++;
    const conn = new DeviceConnection(socket, this, this.clock, {
      maxInFlight: this.options.maxInFlightPerConnection,
      maxGarbageBytes: 64 * 1024,
    });
    this.connections.add(conn);
    if (this.storagePaused) conn.pause('storage');
  }

  /** Token bucket per source IP: `connectRatePerIpPerMinute` connections, refilled continuously. */
  private takeToken(ip: string): boolean {
    if (this.options.exemptLoopbackFromRate && (ip.startsWith('127.') || ip.startsWith('::ffff:127.') || ip === '::1'))
      return true;
    const capacity = this.config.gb26875.connectRatePerIpPerMinute;
    const now = performance.now();
    const bucket = this.rate.get(ip) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) * capacity) / 60_000);
    bucket.at = now;
    this.rate.set(ip, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Timers for every connection in one pass: resync, slow-loris, idle timeout, storage pressure. */
  private sweep(): void {
    const now = performance.now();
    const idle = this.config.gb26875.idleTimeoutMs;
    for (const conn of this.connections) {
      if (conn.closing) continue;
      const quiet = now - conn.lastDataAt;
      if (quiet > idle && !conn.paused) {
        this.counters.closedIdle++;
        conn.close('idle timeout', 'platform');
      } else if (
        // While we do not read a socket, the rest of its partial frame may be waiting unread.
        !conn.paused &&
        conn.partialSince !== 0 &&
        (quiet > this.options.resyncAfterMs || now - conn.partialSince > this.options.partialFrameTimeoutMs)
      ) {
        conn.resync();
      }
    }
    const backlog = this.store.backlog;
    if (!this.storagePaused && backlog >= this.options.storageHighWater) {
      this.storagePaused = true;
      this.logger.warn({ msg: 'storage lags: pausing device sockets', backlog });
      for (const conn of this.connections) conn.pause('storage');
    } else if (this.storagePaused && backlog <= this.options.storageLowWater) {
      this.storagePaused = false;
      this.logger.log({ msg: 'storage caught up: resuming device sockets', backlog });
      for (const conn of this.connections) conn.resume('storage');
    }
    if (this.rate.size > 10_000) {
      for (const [ip, bucket] of this.rate) if (now - bucket.at > 60_000) this.rate.delete(ip);
    }
  }

  private track(work: Promise<void>): void {
    const guarded = work.catch((error: unknown) =>
      this.logger.error({ msg: 'frame handling failed', error: String(error) }),
    );
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
  }
}
