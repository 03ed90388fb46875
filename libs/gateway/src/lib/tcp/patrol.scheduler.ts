import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EventBus } from '@fireiot/bus';
import { FireiotConfig } from '@fireiot/config';
import { effectiveProfile, microsToIso, ProfileOverrides, ReceiveClock } from '@fireiot/events';
import { COMMAND } from '@fireiot/gb26875';
import { PatrolRecord, PatrolRecorder, PatrolStatus } from '@fireiot/storage';
import { DeadlineWheel } from '@fireiot/timing';
import { GatewayError } from '../gateway.error';
import { DeviceConnection } from './device-connection';
import { DownlinkExchange, DownlinkRequest, DownlinkService } from './downlink.service';

/**
 * The patrol query (巡检): GB/T 26875.3 §8.3.2.9, command 4 (request), ADU type 81 "read UITD
 * running state" with one object whose only byte is reserved (0): `51 01 00`. The device answers
 * with a response (command 5) carrying type 21, its running state.
 */
export const PATROL_QUERY: DownlinkRequest = { command: COMMAND.REQUEST, adu: { type: 81, objects: [{}] } };

export interface PatrolSchedulerOptions {
  /** How often due patrols are looked for (one timer for every connection); default 250 ms. */
  readonly tickMs?: number;
  /** The clock (ms): monotonic, aligned to the wall clock so phases mean the same in every process. */
  readonly now?: () => number;
}

export interface PatrolStats {
  /** Connections patrolled (one per device). */
  devices: number;
  inFlight: number;
  sent: number;
  answered: number;
  missed: number;
  aborted: number;
  /** Patrols due whose query could not be sent at all (the link went just before): nothing recorded. */
  notSent: number;
  /** Patrols put off to the next phase: the connection was closing, or not being read (storage lags). */
  deferred: number;
}

interface PatrolTarget {
  /** The id in the deadline wheel. */
  readonly id: number;
  readonly deviceKey: string;
  /** The device's live connection (a newer one of the same device takes over). */
  conn: DeviceConnection;
  periodMs: number;
  phaseMs: number;
  /** The patrol in flight, if any: at most one per device. */
  running: Promise<void> | null;
  controller: AbortController | null;
  /** The connection closed: no further patrol. */
  released: boolean;
}

/**
 * Patrols every bound UITD connection (CQC/SC 11002 4.4.2: UITDs at least every 30 min) with a
 * GB/T 26875.3 type-81 query, every `patrolPeriodS` of the device's effective profile
 * (`effectiveProfile('uitd', power, own values)`; unregistered devices get the default UITD profile).
 *
 * - **Stagger**: a device patrols at a fixed phase of its period, derived from a hash of its
 *   device key (next = now + ((phase − now) mod period)), so a fleet reconnecting at once is not
 *   patrolled at once, and a device keeps its phase across reconnections.
 * - **One wheel, one timer**: every connection's next patrol is a deadline in one DeadlineWheel,
 *   advanced by one interval timer; no timer per connection.
 * - **Records** (CQC/SC 11002 4.1.3, patrol_records through `PatrolRecorder`): 'sent' at the first
 *   transmission, then 'answered' (the answer's receive time, the transmissions made), 'missed'
 *   (no answer after `patrolRetries` retransmissions waiting `patrolTimeoutMs` each, GB/T 26875.3
 *   §6.4) or 'aborted' (the connection closed, the gateway stopping). A miss is also published as
 *   presence `patrol-missed` on `fireiot.device.presence.v1` for the watchdog.
 * - At most one patrol in flight per device; the next is scheduled when it ends.
 */
export class PatrolScheduler {
  private readonly logger = new Logger(PatrolScheduler.name);
  private readonly clock = new ReceiveClock();
  private readonly tickMs: number;
  private readonly now: () => number;
  private readonly wheel: DeadlineWheel;
  private readonly byKey = new Map<string, PatrolTarget>();
  private readonly byId: (PatrolTarget | undefined)[] = [];
  private readonly freeIds: number[] = [];
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private quiesced = false;
  private stopping: Promise<void> | null = null;
  private readonly counters = { sent: 0, answered: 0, missed: 0, aborted: 0, notSent: 0, deferred: 0 };

  constructor(
    private readonly config: FireiotConfig,
    private readonly downlinks: DownlinkService,
    private readonly recorder: PatrolRecorder,
    private readonly bus: EventBus,
    options: PatrolSchedulerOptions = {},
  ) {
    this.tickMs = options.tickMs ?? 250;
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    // 16,384 slots of one tick: a revolution of about 68 min at 250 ms, longer than the 30-min maximum.
    this.wheel = new DeadlineWheel({ startMs: this.now(), slotMs: this.tickMs, slots: 16_384 });
  }

  /** Starts the timer (and the recorder's flushes). Called when the gateway listens. */
  start(): void {
    if (this.timer || this.quiesced) return;
    this.recorder.start();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** No new patrols from now on (the gateway is stopping); those in flight go on until `stop()`. */
  quiesce(): void {
    this.quiesced = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Stops patrolling: patrols in flight are withdrawn and recorded 'aborted', their presence
   * messages published, and the records flushed. Call before `DownlinkService.stop()`.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.quiesce();
      for (const target of this.byKey.values()) target.controller?.abort('platform stopping');
      await Promise.allSettled([...this.running]);
      for (const target of this.byKey.values()) this.wheel.cancel(target.id);
      this.byKey.clear();
      await this.recorder.stop();
    })();
    return this.stopping;
  }

  /** A connection bound to its device (after the registry lookup): patrol it. */
  add(conn: DeviceConnection): void {
    const device = conn.device;
    if (!device || this.quiesced) return;
    let target = this.byKey.get(device.deviceKey);
    if (target) {
      // The device's newer connection: the schedule (and a patrol in flight, re-sent over it) carries on.
      target.conn = conn;
    } else {
      target = {
        id: this.allocateId(),
        deviceKey: device.deviceKey,
        conn,
        periodMs: 0,
        phaseMs: 0,
        running: null,
        controller: null,
        released: false,
      };
      this.byKey.set(device.deviceKey, target);
      this.byId[target.id] = target;
    }
    this.setPeriod(target, periodOf(conn));
  }

  /** The connection's registry record changed (re-check): re-read the period. */
  update(conn: DeviceConnection): void {
    const target = this.targetOf(conn);
    if (!target) return;
    const periodMs = periodOf(conn);
    if (periodMs !== target.periodMs) this.setPeriod(target, periodMs);
  }

  /** The connection closed: no more patrols over it; one in flight is aborted. */
  remove(conn: DeviceConnection): void {
    const target = this.targetOf(conn);
    if (!target) return;
    this.byKey.delete(target.deviceKey);
    this.wheel.cancel(target.id);
    this.byId[target.id] = undefined;
    this.freeIds.push(target.id);
    target.released = true;
    target.controller?.abort('connection closed');
  }

  /** When the device's next patrol is due (ms, the scheduler's clock), or null. */
  nextPatrolAt(deviceKey: string): number | null {
    const target = this.byKey.get(deviceKey);
    return target ? this.wheel.deadlineOf(target.id) : null;
  }

  stats(): PatrolStats {
    return { devices: this.byKey.size, inFlight: this.running.size, ...this.counters };
  }

  private targetOf(conn: DeviceConnection): PatrolTarget | undefined {
    const device = conn.device;
    if (!device) return undefined;
    const target = this.byKey.get(device.deviceKey);
    return target?.conn === conn ? target : undefined;
  }

  private setPeriod(target: PatrolTarget, periodMs: number): void {
    target.periodMs = periodMs;
    target.phaseMs = patrolPhaseMs(target.deviceKey, periodMs);
    if (!target.running) this.schedule(target, false);
  }

  /** next = now + ((phase − now) mod period); after a patrol, never sooner than a tick away. */
  private schedule(target: PatrolTarget, afterPatrol: boolean): void {
    const now = this.now();
    const period = target.periodMs;
    let wait = (((target.phaseMs - now) % period) + period) % period;
    if (afterPatrol && wait < this.tickMs) wait += period;
    this.wheel.schedule(target.id, now + wait);
  }

  private tick(): void {
    this.wheel.advance(this.now(), (id) => this.launch(id));
  }

  private launch(id: number): void {
    const target = this.byId[id];
    if (!target || target.released || target.running || this.quiesced) return;
    if (target.conn.closing || target.conn.paused) {
      // Closing: its close removes it. Not being read (storage lags): an answer could not be read
      // in time, and a miss would be the gateway's, not the device's. Either way: the next phase.
      this.counters.deferred++;
      this.schedule(target, true);
      return;
    }
    const run = this.patrol(target).finally(() => {
      this.running.delete(run);
      target.running = null;
      target.controller = null;
      if (!target.released && !this.quiesced) this.schedule(target, true);
    });
    target.running = run;
    this.running.add(run);
  }

  /** One patrol, start to end; never rejects. */
  private async patrol(target: PatrolTarget): Promise<void> {
    const { deviceKey } = target;
    const deviceId = target.conn.device?.deviceId ?? null;
    const controller = new AbortController();
    target.controller = controller;
    const base = { patrolId: randomUUID(), deviceKey, deviceId, gatewayId: this.config.gatewayId };
    const sent = { serial: null as number | null, transmissions: 0 };
    const conn = target.conn;
    const pauses = conn.pauses;
    const record = (status: PatrolStatus, atUs: bigint, detail?: PatrolRecord['detail']): void =>
      this.recorder.record({
        ...base,
        status,
        atUs,
        serial: sent.serial,
        attempts: sent.transmissions,
        ...(detail ? { detail } : {}),
      });
    let exchange: DownlinkExchange;
    try {
      exchange = await this.downlinks.exchange(deviceKey, PATROL_QUERY, {
        timeoutMs: this.config.watchdog.patrolTimeoutMs,
        retries: this.config.watchdog.patrolRetries,
        signal: controller.signal,
        onTransmit: (serial, transmission) => {
          sent.serial = serial;
          sent.transmissions = transmission;
          if (transmission === 1) {
            this.counters.sent++;
            record('sent', this.clock.now().wallUs);
          }
        },
      });
    } catch (error) {
      // The gateway stopped reading the socket meanwhile: an unanswered query proves nothing about the device.
      const unread = conn.paused || conn.pauses !== pauses;
      await this.failed(target, base.patrolId, deviceId, sent.transmissions, error, record, unread);
      return;
    }
    this.counters.answered++;
    const answer = exchange.frame.command;
    // A deny is no state report, but the device is alive and answering (GB/T 26875.3 §6.3).
    if (answer.code === COMMAND.DENY) {
      this.logger.warn({ msg: 'patrol denied', deviceKey, patrolId: base.patrolId, serial: exchange.serial });
    }
    sent.transmissions = exchange.transmissions;
    record('answered', exchange.answeredAt?.wallUs ?? this.clock.now().wallUs, { answer: answer.name });
  }

  private async failed(
    target: PatrolTarget,
    patrolId: string,
    deviceId: string | null,
    transmissions: number,
    error: unknown,
    record: (status: PatrolStatus, atUs: bigint, detail?: PatrolRecord['detail']) => void,
    unread: boolean,
  ): Promise<void> {
    const { deviceKey } = target;
    const code = error instanceof GatewayError ? error.code : null;
    if (transmissions === 0) {
      // Never on the wire (the link went between the deadline and the send): no patrol to record.
      this.counters.notSent++;
      if (code !== 'device-not-connected' && code !== 'shutting-down' && code !== 'aborted') {
        this.logger.error({ msg: 'patrol not sent', deviceKey, error: String(error) });
      }
      return;
    }
    const now = this.clock.now().wallUs;
    if (code === 'downlink-timeout' && unread) {
      this.counters.aborted++;
      record('aborted', now, {
        reason: this.quiesced ? 'platform stopping' : 'socket not read (gateway backpressure)',
      });
      this.logger.warn({
        msg: 'patrol unanswered while the socket was paused; not counted as missed',
        deviceKey,
        patrolId,
      });
      return;
    }
    switch (code) {
      case 'downlink-timeout': {
        // GB/T 26875.3 §6.4: no answer after the retransmissions. CQC/SC 11002 4.4.2: the watchdog's input.
        this.counters.missed++;
        record('missed', now);
        this.logger.warn({ msg: 'patrol missed', deviceKey, patrolId, attempts: transmissions });
        try {
          await this.bus.publish('fireiot.device.presence.v1', deviceKey, {
            deviceKey,
            deviceId,
            event: 'patrol-missed',
            at: microsToIso(now),
            gatewayId: this.config.gatewayId,
            patrolId,
          });
        } catch (publishError) {
          this.logger.error({
            msg: 'patrol-missed presence not published',
            deviceKey,
            patrolId,
            error: String(publishError),
          });
        }
        return;
      }
      case 'connection-closed':
      case 'device-not-connected':
      case 'aborted':
      case 'shutting-down': {
        this.counters.aborted++;
        const reason = code === 'shutting-down' || this.quiesced ? 'platform stopping' : 'connection closed';
        record('aborted', now, { reason });
        return;
      }
      case 'downlink-denied':
      case 'invalid-downlink':
      case null: {
        this.counters.aborted++;
        record('aborted', now, { reason: String(error).slice(0, 200) });
        this.logger.error({ msg: 'patrol failed', deviceKey, patrolId, error: String(error) });
        return;
      }
    }
  }

  private allocateId(): number {
    return this.freeIds.pop() ?? this.byId.length;
  }
}

/** The effective patrol period of the connection's device, ms (CQC/SC 11002 4.4.2 profile). */
function periodOf(conn: DeviceConnection): number {
  const record = conn.device?.record ?? null;
  const own: ProfileOverrides = record
    ? {
        heartbeatS: record.heartbeatS,
        silenceThresholdS: record.silenceThresholdS,
        patrolPeriodS: record.patrolPeriodS,
      }
    : {};
  return effectiveProfile('uitd', record?.power ?? 'mains', own).patrolPeriodS * 1000;
}

/**
 * A device's fixed phase within its patrol period: FNV-1a of the device key, then the
 * MurmurHash3 finaliser (consecutive addresses must land far apart), modulo the period.
 */
export function patrolPhaseMs(deviceKey: string, periodMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceKey.length; i++) {
    h ^= deviceKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % periodMs;
}
