import { Inject, Injectable, Logger } from '@nestjs/common';
import { DEADLINE_MS, ShieldRegistry } from '@fireiot/alerting';
import { deterministicUuid } from '@fireiot/secrets';
import { EVENT_BUS, EventBus, PartitionOwnership } from '@fireiot/bus';
import {
  DeviceChanged,
  DevicePresence,
  effectiveProfile,
  isoToMicros,
  microsToIso,
  ShieldChanged,
} from '@fireiot/events';
import {
  AlertRepository,
  alertFromRow,
  AlertRow,
  DeviceLinkRepository,
  NewLinkEvent,
  ShieldRepository,
  Suppression,
  TrackedDeviceRow,
  UnitDirectory,
} from '@fireiot/evidence';
import { LinkTransition, LivenessTracker, WatchedDevice } from './liveness.tracker';
import { WatchdogMetrics } from './watchdog.metrics';

/** A link event stored, with what its alert needs. */
interface StoredTransition {
  readonly transition: LinkTransition;
  readonly linkId: string;
  /** restored: the link event of the loss it ends. */
  readonly lossLinkId: string | null;
}

const NOUN: Readonly<Record<'uitd' | 'collector', string>> = { uitd: '用户信息传输装置', collector: '采集设备' };
const CAUSE: Readonly<Record<LinkTransition['cause'], string>> = {
  disconnected: '连接断开',
  silence: '超时未通信',
  'patrol-missed': '巡检无应答',
  heard: '通信恢复',
};

export const LINK_SUBJECT = 'link';

function msToIso(ms: number): string {
  return microsToIso(BigInt(Math.round(ms * 1000)));
}

function isoToMs(iso: string): number {
  return Number(isoToMicros(iso)) / 1000;
}

/** The alert id of a link event: derived from it, so a restart that finds it unsent sends the same alert. */
export function linkAlertId(linkId: string, event: 'lost' | 'restored'): string {
  return deterministicUuid('device_link_events', linkId, event === 'lost' ? 'communication-loss' : 'restored');
}

/**
 * Device communication monitoring (CQC/SC 11002 4.4.2): presence messages feed the liveness
 * tracker; a loss or a restoration is stored as a link event (5.4.1 g, device running records)
 * and raised as a `communication-loss` / `restored` alert through the same bus, evidence and
 * notifier as every other alert, with the moment the loss became observable as its receive time.
 *
 * Transitions found in one turn of the event loop are written together (one INSERT), so 500
 * devices dropping at once cost one round trip before their alerts go out.
 */
@Injectable()
export class WatchdogService {
  private readonly logger = new Logger(WatchdogService.name);
  private tracker: LivenessTracker;
  private readonly kinds = new Map<string, 'uitd' | 'collector'>();
  /** Link event of each device that is lost now (few), for its restoration's `restores`. */
  private readonly lossLinks = new Map<string, string>();
  private pending: LinkTransition[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private scheduled = false;
  private readonly lookups = new Map<string, Promise<void>>();
  /** Which devices this process watches: those whose presence it consumes (every one in-process). */
  private ownership: Pick<PartitionOwnership, 'owns'> = { owns: () => true };
  readonly metrics = new WatchdogMetrics();

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly links: DeviceLinkRepository,
    private readonly alerts: AlertRepository,
    private readonly directory: UnitDirectory,
    private readonly shields: ShieldRegistry,
    private readonly shieldStore: ShieldRepository,
  ) {
    this.tracker = new LivenessTracker((t) => this.found(t), Date.now());
  }

  get tracked(): number {
    return this.tracker.tracked;
  }

  get lostDevices(): number {
    return this.tracker.lost;
  }

  /**
   * Watch only the devices whose presence this process consumes (the bus partitions it owns), so
   * that with several replicas each device is watched by exactly one. Reload after it changes.
   */
  useOwnership(ownership: Pick<PartitionOwnership, 'owns'>): void {
    this.ownership = ownership;
  }

  /**
   * Rebuilds the watch from storage (the restart rule): lost devices stay lost until heard;
   * every other device gets one whole silence threshold from `nowMs` to show life before it is
   * declared silent. A loss stored without its alert (a crash between the two) is alerted now.
   */
  async load(nowMs: number): Promise<{ devices: number; lost: number; resent: number }> {
    // The new watch is built aside and swapped in whole: until then the current one goes on
    // (at a million devices the rebuild takes seconds; an empty tracker meanwhile would look
    // every device up again).
    const next = new LivenessTracker((t) => this.found(t), nowMs);
    this.shields.reset(await this.shieldStore.active());
    const rows = (await this.links.tracked()).filter((r) => this.ownership.owns(r.deviceKey));
    for (const row of rows) this.watchRow(row, nowMs, true, next);
    this.tracker = next;
    const lost = rows.filter((r) => r.link?.event === 'lost');
    const unsent = await this.links.withoutAlert(lost.map((r) => r.link?.id ?? '0'));
    for (const row of lost) {
      if (!row.link || !unsent.has(row.link.id)) continue;
      const transition: LinkTransition = {
        deviceKey: row.deviceKey,
        event: 'lost',
        cause: row.link.cause,
        atMs: isoToMs(row.link.observableAt),
        lastSeenMs: row.lastSeenMs,
      };
      await this.raise({ transition, linkId: row.link.id, lossLinkId: null }, new Date(nowMs));
    }
    this.metrics.set(this.tracker.tracked, this.tracker.lost);
    return { devices: rows.length, lost: lost.length, resent: unsent.size };
  }

  /** Presence from the gateways (bus). */
  async onPresence(message: DevicePresence): Promise<void> {
    const atMs = isoToMs(message.at);
    if (!this.tracker.has(message.deviceKey)) {
      if (message.event === 'disconnected' || message.event === 'patrol-missed') return;
      await this.learn(message.deviceKey);
      if (!this.tracker.has(message.deviceKey)) return; // not registered: nobody to alert
    }
    switch (message.event) {
      case 'connected':
      case 'heartbeat':
        this.tracker.heard(message.deviceKey, atMs);
        return;
      case 'disconnected':
        // The platform replacing a connection or shutting down is not the device failing.
        if (message.closedBy === 'replaced' || message.closedBy === 'shutdown') return;
        this.tracker.disconnected(message.deviceKey, atMs);
        return;
      case 'patrol-missed':
        this.tracker.patrolMissed(message.deviceKey, atMs);
        return;
    }
  }

  /** A device provisioned or its profile changed. */
  async onDeviceChanged(message: DeviceChanged): Promise<void> {
    await this.learn(message.deviceKey, true);
  }

  onShield(message: ShieldChanged): void {
    switch (message.event) {
      case 'shielded':
        this.shields.set({
          shieldId: message.shieldId,
          deviceKey: message.deviceKey,
          subject: message.subject,
          until: message.expiresAt === null ? 0 : isoToMs(message.expiresAt),
        });
        return;
      case 'lifted':
        this.shields.lift(message.shieldId);
        return;
    }
  }

  /** Finds silent devices; called on a timer. */
  tick(nowMs: number): void {
    this.tracker.tick(nowMs);
    this.metrics.set(this.tracker.tracked, this.tracker.lost);
  }

  /** Every transition found so far stored and raised. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.scheduled) {
      this.drain();
      await this.flushing;
    }
    await this.flushing;
  }

  private async learn(deviceKey: string, refresh = false): Promise<void> {
    if (!this.ownership.owns(deviceKey)) return;
    const running = this.lookups.get(deviceKey);
    if (running) return running;
    const lookup = this.links
      .tracked(deviceKey)
      .then((rows) => {
        const row = rows[0];
        if (row && (refresh || !this.tracker.has(deviceKey))) this.watchRow(row, Date.now(), false);
      })
      .finally(() => this.lookups.delete(deviceKey));
    this.lookups.set(deviceKey, lookup);
    return lookup;
  }

  private watchRow(row: TrackedDeviceRow, nowMs: number, atStart: boolean, tracker = this.tracker): void {
    const device: WatchedDevice = {
      deviceKey: row.deviceKey,
      kind: row.kind,
      power: row.power,
      profile: effectiveProfile(row.kind, row.power, {
        heartbeatS: row.heartbeatS,
        silenceThresholdS: row.silenceThresholdS,
        patrolPeriodS: row.patrolPeriodS,
      }),
    };
    this.kinds.set(row.deviceKey, row.kind);
    const lost = row.link?.event === 'lost';
    if (lost && row.link) this.lossLinks.set(row.deviceKey, row.link.id);
    if (atStart) {
      tracker.watch(device, nowMs, { lastSeenMs: row.lastSeenMs, lost }, row.lastSeenMs === null ? undefined : nowMs);
    } else {
      tracker.watch(device, nowMs, { lastSeenMs: row.lastSeenMs, lost });
    }
  }

  private found(transition: LinkTransition): void {
    this.pending.push(transition);
    if (transition.event === 'lost') this.metrics.lossFound(transition.cause, Date.now() - transition.atMs);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => this.commit(batch));
  }

  private async commit(batch: readonly LinkTransition[]): Promise<void> {
    const now = new Date();
    const events: NewLinkEvent[] = batch.map((t) => ({
      deviceKey: t.deviceKey,
      deviceId: null,
      event: t.event,
      cause: t.cause,
      observableAt: msToIso(t.atMs),
      lastSeenAt: t.lastSeenMs === null ? null : msToIso(t.lastSeenMs),
      detail: {},
    }));
    let ids: string[];
    try {
      ids = await this.links.record(events);
    } catch (error) {
      // Not stored, so not alerted: put the devices back to be found again (a restart would too).
      this.logger.error({ msg: 'link events not stored; retrying', devices: batch.length, error: String(error) });
      setTimeout(() => {
        this.pending.push(...batch);
        this.drain();
      }, 1000).unref();
      return;
    }
    const stored: StoredTransition[] = batch.map((transition, i) => {
      const linkId = ids[i] ?? '0';
      let lossLinkId: string | null = null;
      if (transition.event === 'lost') this.lossLinks.set(transition.deviceKey, linkId);
      else {
        lossLinkId = this.lossLinks.get(transition.deviceKey) ?? null;
        this.lossLinks.delete(transition.deviceKey);
      }
      return { transition, linkId, lossLinkId };
    });
    await Promise.all(stored.map((s) => this.raise(s, now)));
  }

  private async raise(stored: StoredTransition, now: Date): Promise<void> {
    const { transition, linkId } = stored;
    let saved = false;
    try {
      const device = await this.directory.device(transition.deviceKey);
      const unit = device?.unitId ? await this.directory.unit(device.unitId) : null;
      const kind = transition.event === 'lost' ? 'communication-loss' : 'restored';
      const noun = NOUN[this.kinds.get(transition.deviceKey) ?? 'uitd'];
      const title = transition.event === 'lost' ? `${noun}通信中断（${CAUSE[transition.cause]}）` : `${noun}通信恢复`;
      const suppressed: Suppression | null =
        !device?.unitId || unit === null
          ? 'no-unit'
          : !unit.monitoringScope.includes(kind)
            ? 'out-of-scope' // CQC/SC 11002 4.3.4
            : this.shields.isShielded(transition.deviceKey, LINK_SUBJECT, now.getTime())
              ? 'shielded' // 4.4.4
              : null;
      const row: AlertRow = {
        id: linkAlertId(linkId, transition.event),
        unitId: device?.unitId ?? null,
        deviceId: device?.id ?? null,
        deviceKey: transition.deviceKey,
        subject: LINK_SUBJECT,
        kind,
        // 4.4.2 "identify a communication failure and alert the unit within 100 s"; the
        // restoration is judged on the same clause.
        clause: '4.4.2',
        item: null,
        ruleId: transition.event === 'lost' ? 'communication-loss' : 'communication-restored',
        title,
        detail: {
          cause: transition.cause,
          lastSeenAt: transition.lastSeenMs === null ? null : msToIso(transition.lastSeenMs),
        },
        sourceTable: 'device_link_events',
        sourceId: linkId,
        receivedAt: msToIso(transition.atMs),
        classifiedAt: microsToIso(BigInt(now.getTime()) * 1000n),
        deadlineMs: DEADLINE_MS['4.4.2'],
        restores: stored.lossLinkId === null ? null : linkAlertId(stored.lossLinkId, 'lost'),
        suppressed,
      };
      // Stored first: if the bus cannot take it (the platform stopping), the notifier sends the
      // stored alert when it resumes at the next start.
      await this.alerts.addAlert(row);
      saved = true;
      const message = alertFromRow(row);
      if (message !== null) await this.bus.publish('fireiot.alerts.v1', row.deviceKey, message);
      this.logger.log({
        msg: transition.event === 'lost' ? 'device communication lost' : 'device communication restored',
        deviceKey: transition.deviceKey,
        cause: transition.cause,
        alertId: row.id,
        suppressed,
      });
    } catch (error) {
      if (saved) {
        // Stored, not published (the bus is closing): the notifier sends it when it resumes.
        this.logger.warn({ msg: 'link alert stored, sent at the next start', deviceKey: transition.deviceKey, linkId });
        return;
      }
      // The link event is stored: the next start finds it without its alert and raises it.
      this.logger.error({
        msg: 'link alert not raised',
        deviceKey: transition.deviceKey,
        linkId,
        error: String(error),
      });
    }
  }
}
