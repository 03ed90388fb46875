import { Logger } from '@nestjs/common';
import { EventBus } from '@fireiot/bus';
import { FireiotConfig } from '@fireiot/config';
import { microsToIso, ReceiveTime } from '@fireiot/events';
import {
  buildConfirm,
  buildDeny,
  COMMAND,
  decodeFrame,
  Frame,
  readFrameHeader,
  TimeLabelClock,
} from '@fireiot/gb26875';
import { DeviceRecord, DeviceRepository, PresenceRecorder, RawStore, StoredRow } from '@fireiot/storage';
import { DeviceConnection } from './device-connection';
import { DownlinkService } from './downlink.service';
import { isHeartbeat, laneOf } from './fire-alarm.lane';
import { PatrolScheduler } from './patrol.scheduler';
import { RetransmissionCache } from './retransmission.cache';

export interface IngestStats {
  uploads: number;
  confirmed: number;
  retransmissions: number;
  denied: number;
  quarantined: number;
  storeFailures: number;
  publishFailures: number;
  garbageBytes: number;
}

/** How long a connection's device registration is trusted before it is looked up again. */
const REGISTRY_RECHECK_MS = 60_000;

export interface FrameIngestOptions {
  /** How long a connection's device registration is trusted before it is looked up again (default 60 s). */
  readonly registryRecheckMs?: number;
}

/**
 * The GB/T 26875.3 ingestion use case, per frame the reader hands over:
 * - a valid upload (command 2) is stored raw, then confirmed (command 3, serial echoed,
 *   addresses swapped; GB/T 26875.3 §6.2), then published on the bus (fire alarms on the
 *   priority lane); a retransmission is confirmed again and not processed twice;
 * - a device's confirm, deny or response settles the platform's pending downlink (§6.3);
 * - a frame whose header is readable but whose framing or body is broken is stored in
 *   quarantine with the reason and denied (command 6, §6.5.3); so is a frame carrying another
 *   device's address on a bound connection; unreadable bytes are quarantined under the peer.
 * Nothing is confirmed before it is durably stored (contract "Device side").
 *
 * Presence (CQC/SC 11002 4.4.2, the watchdog's input on `fireiot.device.presence.v1`): `connected`
 * when a connection binds to a device; every stored frame of the device is a sign of life,
 * published as `heartbeat` when the connection's last presence message is older than
 * `config.watchdog.presenceIntervalMs` (GB/T 26875.3 heartbeats, type 21 / empty uploads, always).
 * Bound connections are handed to the patrol scheduler (GB/T 26875.3 type 81), with their
 * registry record; a changed record found by the periodic re-check re-reads the patrol period.
 */
export class FrameIngestService {
  private readonly logger = new Logger(FrameIngestService.name);
  private readonly retransmissions: RetransmissionCache;
  private readonly counters: IngestStats = {
    uploads: 0,
    confirmed: 0,
    retransmissions: 0,
    denied: 0,
    quarantined: 0,
    storeFailures: 0,
    publishFailures: 0,
    garbageBytes: 0,
  };
  /** Our time labels for replies (UTC+8, GB/T 26875.3 §8.2.2). */
  private readonly clock = new TimeLabelClock();
  private readonly registryRecheckMs: number;

  constructor(
    private readonly config: FireiotConfig,
    private readonly store: RawStore,
    private readonly devices: DeviceRepository,
    private readonly presence: PresenceRecorder,
    private readonly bus: EventBus,
    private readonly downlinks: DownlinkService,
    private readonly patrols: PatrolScheduler | null = null,
    options: FrameIngestOptions = {},
  ) {
    this.retransmissions = new RetransmissionCache(config.gb26875.retransmitWindowMs);
    this.registryRecheckMs = options.registryRecheckMs ?? REGISTRY_RECHECK_MS;
  }

  stats(): IngestStats {
    return { ...this.counters };
  }

  async frame(conn: DeviceConnection, bytes: Buffer, at: ReceiveTime): Promise<void> {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      await this.invalid(conn, bytes, { code: decoded.error.code, message: decoded.error.message }, at);
      return;
    }
    const frame = decoded.frame;
    const address = frame.source.value;
    const binding = conn.device === null;
    if (conn.device === null) {
      conn.device = {
        deviceKey: `uitd:${address}`,
        address,
        deviceId: null,
        record: null,
        checkedAt: 0,
        lookup: null,
      };
    } else if (conn.device.address !== address) {
      await this.invalid(
        conn,
        bytes,
        { code: 'address-mismatch', message: `frame from ${address} on the connection of ${conn.device.address}` },
        at,
      );
      return;
    }
    const device = conn.device;
    const lookup = this.registration(conn);
    if (lookup) await lookup;
    if (binding) this.bind(conn, at);
    this.presence.seen({
      deviceKey: device.deviceKey,
      registered: device.deviceId !== null,
      atUs: at.wallUs,
      peer: conn.peer,
      gatewayId: this.config.gatewayId,
    });

    switch (frame.command.code) {
      case COMMAND.SEND_DATA:
        await this.upload(conn, bytes, frame, at);
        return;
      case COMMAND.CONFIRM:
      case COMMAND.DENY:
      case COMMAND.RESPONSE:
        // Patrol answers and other replies are records too (CQC/SC 11002 4.1.3): store, then settle.
        if (await this.storeFrame(conn, bytes, frame, at)) {
          this.downlinks.settle(device.deviceKey, frame, at);
          await this.signOfLife(conn, at, false);
        }
        return;
      default:
        // Control and request frames from a device: kept, not acted on.
        if (await this.storeFrame(conn, bytes, frame, at)) await this.signOfLife(conn, at, false);
        return;
    }
  }

  async invalid(
    conn: DeviceConnection,
    bytes: Buffer,
    reason: { code: string; message: string },
    at: ReceiveTime,
  ): Promise<void> {
    const header = readFrameHeader(bytes);
    const deviceKey = header ? `uitd:${header.source.value}` : `peer:${conn.ip}`;
    conn.frameStarted();
    try {
      await this.store.appendQuarantine({
        deviceKey,
        receivedAtUs: at.wallUs,
        receivedMonoNs: at.monoNs,
        gatewayId: this.config.gatewayId,
        peer: conn.peer,
        registered: false,
        bytes,
        source: 'gb26875',
        reasonCode: reason.code,
        reason: reason.message,
        topic: null,
      });
      this.counters.quarantined++;
      this.logger.warn({ msg: 'frame quarantined', deviceKey, peer: conn.peer, code: reason.code });
      if (header) {
        // GB/T 26875.3 §6.5.3: a frame that fails the checks is denied.
        conn.write(buildDeny(bytes, this.clock.labelText()));
        this.counters.denied++;
      }
    } catch (error) {
      this.counters.storeFailures++;
      this.logger.error({ msg: 'quarantine not stored; no deny sent', deviceKey, error: String(error) });
    } finally {
      conn.frameSettled();
    }
  }

  async garbage(conn: DeviceConnection, kept: Buffer, seen: number, at: ReceiveTime): Promise<void> {
    this.counters.garbageBytes += seen;
    if (kept.length === 0) return; // counted, not kept: a garbage flood must not fill the disk
    const more = seen > kept.length ? ` (first ${kept.length} kept)` : '';
    await this.invalid(conn, kept, { code: 'garbage', message: `${seen} bytes outside any frame${more}` }, at);
  }

  private async upload(conn: DeviceConnection, bytes: Buffer, frame: Frame, at: ReceiveTime): Promise<void> {
    const device = conn.device;
    if (!device) return;
    const now = Number(at.monoNs / 1_000_000n);
    const earlier = this.retransmissions.find(device.deviceKey, frame.serial, bytes, now);
    if (earlier) {
      this.counters.retransmissions++;
      conn.frameStarted();
      try {
        await earlier;
        this.confirm(conn, bytes);
      } catch {
        // The first copy failed to store: then this copy is no retransmission. It is stored below.
        return this.upload(conn, bytes, frame, at);
      } finally {
        conn.frameSettled();
      }
      await this.signOfLife(conn, at, false);
      return;
    }
    this.counters.uploads++;
    const stored = this.storeRow(conn, bytes, frame, at);
    this.retransmissions.remember(device.deviceKey, frame.serial, bytes, now, stored);
    conn.frameStarted();
    let row: StoredRow;
    try {
      row = await stored;
    } catch (error) {
      this.counters.storeFailures++;
      this.logger.error({ msg: 'upload not stored; not confirmed', deviceKey: device.deviceKey, error: String(error) });
      return;
    } finally {
      conn.frameSettled();
    }
    this.confirm(conn, bytes);
    await this.publish(device.deviceKey, device.deviceId, row, frame, at);
    await this.signOfLife(conn, at, isHeartbeat(frame));
  }

  private async storeFrame(conn: DeviceConnection, bytes: Buffer, frame: Frame, at: ReceiveTime): Promise<boolean> {
    conn.frameStarted();
    try {
      await this.storeRow(conn, bytes, frame, at);
      return true;
    } catch (error) {
      this.counters.storeFailures++;
      this.logger.error({ msg: 'frame not stored', deviceKey: conn.device?.deviceKey, error: String(error) });
      return false;
    } finally {
      conn.frameSettled();
    }
  }

  private storeRow(conn: DeviceConnection, bytes: Buffer, frame: Frame, at: ReceiveTime): Promise<StoredRow> {
    return this.store.appendFrame({
      deviceKey: conn.device?.deviceKey ?? `uitd:${frame.source.value}`,
      receivedAtUs: at.wallUs,
      receivedMonoNs: at.monoNs,
      gatewayId: this.config.gatewayId,
      peer: conn.peer,
      registered: conn.device?.deviceId != null,
      bytes,
      serial: frame.serial,
      command: frame.command.code,
      aduType: frame.adu?.type.code ?? null,
    });
  }

  private confirm(conn: DeviceConnection, bytes: Buffer): void {
    conn.write(buildConfirm(bytes, this.clock.labelText()));
    this.counters.confirmed++;
  }

  private async publish(
    deviceKey: string,
    deviceId: string | null,
    row: StoredRow,
    frame: Frame,
    at: ReceiveTime,
  ): Promise<void> {
    const receivedAt = microsToIso(at.wallUs);
    try {
      await this.bus.publish(laneOf(frame), deviceKey, {
        rawId: row.id,
        deviceKey,
        deviceId,
        receivedAt,
        gatewayId: this.config.gatewayId,
        frame,
      });
    } catch (error) {
      // The frame is stored and confirmed; it can be replayed from raw_frames by id.
      this.counters.publishFailures++;
      this.logger.error({ msg: 'stored frame not published', deviceKey, rawId: row.id, error: String(error) });
    }
  }

  /**
   * A stored frame of a bound connection is a sign of life (CQC/SC 11002 4.4.2): published as a
   * presence `heartbeat` when the connection's last presence message is older than the presence
   * interval, or at once when `always` (a GB/T 26875.3 heartbeat). Bounds the watchdog's input to
   * one message per device and interval, whatever the device's traffic.
   */
  private async signOfLife(conn: DeviceConnection, at: ReceiveTime, always: boolean): Promise<void> {
    const device = conn.device;
    // A frame stored after its connection closed: 'disconnected' is (being) published, and must stay last.
    if (!device || conn.socket.destroyed) return;
    const ms = Number(at.monoNs / 1_000_000n);
    if (!always && ms - conn.lastPresenceMs < this.config.watchdog.presenceIntervalMs) return;
    conn.lastPresenceMs = Math.max(conn.lastPresenceMs, ms);
    try {
      await this.bus.publish('fireiot.device.presence.v1', device.deviceKey, {
        deviceKey: device.deviceKey,
        deviceId: device.deviceId,
        event: 'heartbeat',
        at: microsToIso(at.wallUs),
        gatewayId: this.config.gatewayId,
      });
    } catch (error) {
      this.counters.publishFailures++;
      this.logger.warn({ msg: 'presence not published', deviceKey: device.deviceKey, error: String(error) });
    }
  }

  /** The connection's first frame names its device: route downlinks there, announce it, patrol it. */
  private bind(conn: DeviceConnection, at: ReceiveTime): void {
    const device = conn.device;
    if (!device) return;
    conn.lastPresenceMs = Number(at.monoNs / 1_000_000n);
    // A connection closed while its registry lookup ran must not become the device's downlink route
    // (its disconnection was announced after this connection, see Gb26875Server.closed).
    if (!conn.socket.destroyed) {
      const previous = this.downlinks.attach(device.deviceKey, conn);
      // The device reconnected while its old connection looked alive (NAT, half-open): the newer wins.
      previous?.close('replaced by a newer connection', 'replaced');
      this.patrols?.add(conn);
    }
    this.logger.debug({
      msg: 'device connected',
      deviceKey: device.deviceKey,
      peer: conn.peer,
      registered: device.deviceId !== null,
    });
    this.bus
      .publish('fireiot.device.presence.v1', device.deviceKey, {
        deviceKey: device.deviceKey,
        deviceId: device.deviceId,
        event: 'connected',
        at: microsToIso(at.wallUs),
        gatewayId: this.config.gatewayId,
        peer: conn.peer,
      })
      .catch((error: unknown) => this.logger.warn({ msg: 'presence not published', error: String(error) }));
  }

  /**
   * The device's registration, looked up when the connection binds and every minute after.
   * Frames wait for the first lookup only, all on the same promise, so they keep their order;
   * later lookups run beside the traffic.
   */
  private registration(conn: DeviceConnection): Promise<void> | null {
    const device = conn.device;
    if (!device) return null;
    if (device.lookup) return device.lookup;
    const now = performance.now();
    const first = device.checkedAt === 0;
    if (!first && now - device.checkedAt < this.registryRecheckMs) return null;
    device.checkedAt = now;
    const lookup = this.devices
      .findByKey(device.deviceKey)
      .then((known) => {
        if (known === null && first) {
          this.logger.warn({
            msg: 'unregistered device: data kept and flagged',
            deviceKey: device.deviceKey,
            peer: conn.peer,
          });
        }
        const changed = !sameRecord(device.record, known);
        device.deviceId = known?.id ?? null;
        device.record = known;
        // A bound connection whose record changed (registered, profile edited): patrols follow it.
        if (!first && changed) this.patrols?.update(conn);
      })
      .catch((error: unknown) => {
        device.checkedAt = 0;
        this.logger.warn({ msg: 'device registry unavailable', deviceKey: device.deviceKey, error: String(error) });
      })
      .finally(() => {
        if (device.lookup === lookup) device.lookup = null;
      });
    if (!first) return null;
    device.lookup = lookup;
    return lookup;
  }
}

/** The fields of a registry record the gateway acts on. */
function sameRecord(a: DeviceRecord | null, b: DeviceRecord | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.id === b.id &&
    a.kind === b.kind &&
    a.power === b.power &&
    a.heartbeatS === b.heartbeatS &&
    a.silenceThresholdS === b.silenceThresholdS &&
    a.patrolPeriodS === b.patrolPeriodS
  );
}
