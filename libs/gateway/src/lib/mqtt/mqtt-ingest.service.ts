import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { EventBus } from '@fireiot/bus';
import { FireiotConfig } from '@fireiot/config';
import {
  describeZodIssues,
  DevicePresence,
  heartbeatPayloadSchema,
  microsToIso,
  ReceiveTime,
  SensorEvent,
  sensorPayloadSchema,
} from '@fireiot/events';
import { DeviceRecord, DeviceRepository, PresenceRecorder, RawStore, StoredRow } from '@fireiot/storage';
import { MqttIngestError } from './mqtt-ingest.error';
import { MqttChannel, mqttDeviceKey, parseTopic, ParsedTopic } from './mqtt-topic.util';
import { WindowedCache } from '../windowed.cache';

/** One PUBLISH as a transport (embedded broker, external bridge) hands it over. */
export interface MqttInboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /**
   * MQTT client id of the session the message arrived on: the device's own (embedded broker), or
   * the bridge's session with the external broker. Stored in `raw_mqtt.client_id`.
   */
  readonly clientId: string;
  /**
   * The device id the transport authenticated the publisher as (embedded broker: username =
   * client id = device id, password checked). `null` when the transport cannot tell (external
   * broker: its ACLs are trusted to keep devices in their own namespace, and the publisher's
   * identity does not reach subscribers in MQTT 3.1.1).
   */
  readonly authenticatedDeviceId: string | null;
  /** `ip:port` of the device (embedded) or `broker:<host:port>` (external). */
  readonly peer: string;
  /** Taken when the chunk holding the packet's last byte was read (embedded), or on arrival from the broker. */
  readonly receivedAt: ReceiveTime;
  /** PUBLISH packet id and DUP flag (QoS ≥ 1), for recognising retransmissions. */
  readonly messageId?: number;
  readonly dup?: boolean;
}

/** Why a message went to quarantine (`quarantine.reason_code`, source 'mqtt'). docs/mqtt.md lists them. */
export type MqttQuarantineCode =
  'foreign-device-id' | 'unknown-topic' | 'not-json' | 'schema-violation' | 'payload-too-large';

export const MQTT_QUARANTINE_CODES: readonly MqttQuarantineCode[] = [
  'foreign-device-id',
  'unknown-topic',
  'not-json',
  'schema-violation',
  'payload-too-large',
];

export type MqttIngestOutcome =
  /** Stored in raw_mqtt (committed), then published on the bus. `duplicate`: a retransmission of a message already stored, not stored or published again. */
  | {
      readonly status: 'stored';
      readonly channel: MqttChannel;
      readonly rawId: string;
      readonly duplicate: boolean;
    }
  /**
   * Stored in quarantine (committed). `refused`: the publication is outside the publisher's own
   * namespace (another device's id, a foreign topic) and the transport must refuse it; otherwise
   * the transport acknowledges it (the message is durably recorded, just not processed).
   */
  | {
      readonly status: 'quarantined';
      readonly code: MqttQuarantineCode;
      readonly reason: string;
      readonly rawId: string;
      readonly refused: boolean;
      readonly duplicate: boolean;
    };

export interface MqttIngestStats {
  stored: number;
  quarantined: Record<MqttQuarantineCode, number>;
  /** Quarantined and refused (subset of `quarantined`). */
  refused: number;
  /** Retransmissions recognised and acknowledged without storing again. */
  duplicates: number;
  /** Messages not stored (storage failed): not acknowledged, the sender retransmits. */
  storeFailures: number;
  /** Bus publications that failed after the row was committed (the row is kept). */
  busFailures: number;
}

export interface MqttIngestOptions {
  /** Payloads above this are quarantined (`payload-too-large`), their first bytes kept. */
  readonly maxPayloadBytes?: number;
  /** How long a stored message's (client id, packet id, digest) is remembered for DUP retransmissions. */
  readonly retransmitWindowMs?: number;
  readonly retransmitEntries?: number;
}

export interface MqttConnectionChange {
  readonly deviceId: string;
  readonly event: 'connected' | 'disconnected';
  readonly at: ReceiveTime;
  readonly peer: string;
  readonly reason?: string;
  /** For `disconnected`: who ended the link (presence `closedBy`). */
  readonly closedBy?: DevicePresence['closedBy'];
}

/** What the MQTT ingestion reads from the configuration. */
export type MqttIngestConfig = Pick<FireiotConfig, 'gatewayId'> & {
  readonly watchdog: Pick<FireiotConfig['watchdog'], 'presenceIntervalMs'>;
};

type Rejection = { readonly code: MqttQuarantineCode; readonly reason: string; readonly refused: boolean };
type Outcome = MqttIngestOutcome;

interface Remembered {
  readonly digest: string;
  readonly outcome: Outcome;
}

const REASON_MAX = 500;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The MQTT ingestion use case, whichever broker delivers the messages (CQC/SC 11002 4.1.1: real-time
 * collection of facility state; 4.1.2: sensors of the water supply, pumps and detectors; 4.1.3:
 * raw data kept unmodifiable).
 *
 * For each message: parse the topic, check the publisher publishes under its own id, decode and
 * validate the JSON, then store it — valid messages in raw_mqtt, everything else in quarantine
 * with the reason — and only after the commit publish it on the bus and answer. The promise
 * resolves after the row is committed, so a transport acknowledging on resolution acknowledges a
 * durably stored message (the same promise as the GB/T 26875.3 confirm). If storage fails the
 * promise rejects (`store-failed`) and nothing may be acknowledged.
 *
 * Messages of one device are handled one after the other, so they are stored, chained and
 * published in the order they arrived (a "fire-alarm" then "normal" never swap on the bus).
 *
 * Presence (CQC/SC 11002 4.4.2): every stored message is a sign of life. A heartbeat always
 * publishes a presence `heartbeat`; a sensor event does when the device's last presence message
 * (connected, heartbeat) is older than `config.watchdog.presenceIntervalMs`.
 */
export class MqttIngestService {
  private readonly logger = new Logger(MqttIngestService.name);
  private readonly maxPayloadBytes: number;
  private readonly tails = new Map<string, Promise<void>>();
  /** Monotonic ms of each device's last presence message (the sign-of-life throttle). */
  private readonly lastPresence = new Map<string, number>();
  private prunedAt = Number.NEGATIVE_INFINITY;
  /** Recent messages per (client, packet id), to recognise DUP resends. */
  private readonly recent: WindowedCache<Remembered>;
  private readonly counters: MqttIngestStats = {
    stored: 0,
    quarantined: {
      'foreign-device-id': 0,
      'unknown-topic': 0,
      'not-json': 0,
      'schema-violation': 0,
      'payload-too-large': 0,
    },
    refused: 0,
    duplicates: 0,
    storeFailures: 0,
    busFailures: 0,
  };

  constructor(
    private readonly store: RawStore,
    private readonly devices: DeviceRepository,
    private readonly presence: PresenceRecorder,
    private readonly bus: EventBus,
    private readonly config: MqttIngestConfig,
    options: MqttIngestOptions = {},
  ) {
    this.maxPayloadBytes = options.maxPayloadBytes ?? 64 * 1024;
    this.recent = new WindowedCache(options.retransmitWindowMs ?? 120_000, options.retransmitEntries ?? 100_000);
  }

  /** Stores one message (see the class comment). Rejects with `MqttIngestError` `store-failed` only. */
  ingest(message: MqttInboundMessage): Promise<MqttIngestOutcome> {
    const topic = parseTopic(message.topic);
    const deviceKey =
      topic.kind === 'no-device' ? `mqtt-client:${message.clientId.slice(0, 100)}` : mqttDeviceKey(topic.deviceId);
    return this.serialize(deviceKey, () => this.process(message, topic, deviceKey));
  }

  /** A device's connection opened or closed (embedded broker): last-seen time and a presence message. */
  connectionChanged(change: MqttConnectionChange): Promise<void> {
    const deviceKey = mqttDeviceKey(change.deviceId);
    return this.serialize(deviceKey, async () => {
      const device = await this.devices.findByKey(deviceKey).catch(() => null);
      if (change.event === 'connected') {
        this.markSeen(deviceKey, device, change.at, change.peer);
        this.lastPresence.set(deviceKey, Number(change.at.monoNs / 1_000_000n));
      } else {
        this.lastPresence.delete(deviceKey);
      }
      await this.publishPresence(
        deviceKey,
        device,
        change.event,
        change.at,
        change.peer,
        change.reason,
        change.closedBy,
      );
    });
  }

  stats(): MqttIngestStats {
    return { ...this.counters, quarantined: { ...this.counters.quarantined } };
  }

  private async process(m: MqttInboundMessage, topic: ParsedTopic, deviceKey: string): Promise<Outcome> {
    const retransmitKey = m.messageId !== undefined ? `${m.clientId}\u0000${m.messageId}` : null;
    const digest = retransmitKey ? digestOf(m) : '';
    if (retransmitKey && m.dup) {
      const seen = this.recent.get(retransmitKey, Date.now());
      if (seen && seen.digest === digest) {
        this.counters.duplicates++;
        return { ...seen.outcome, duplicate: true };
      }
    }
    const outcome = await this.storeAndPublish(m, topic, deviceKey);
    if (retransmitKey && !(outcome.status === 'quarantined' && outcome.refused)) {
      this.recent.set(retransmitKey, { digest, outcome }, Date.now());
    }
    return outcome;
  }

  private async storeAndPublish(m: MqttInboundMessage, topic: ParsedTopic, deviceKey: string): Promise<Outcome> {
    const claimed = topic.kind === 'no-device' ? null : topic.deviceId;
    const device = claimed === null ? null : await this.lookup(deviceKey);
    const checked = this.check(m, topic);
    if (!checked.ok) return this.quarantine(m, deviceKey, device, checked.rejection);

    const channel = checked.channel;
    const stored = await this.guardStore(
      this.store.appendMqtt({
        deviceKey,
        receivedAtUs: m.receivedAt.wallUs,
        receivedMonoNs: m.receivedAt.monoNs,
        gatewayId: this.config.gatewayId,
        peer: m.peer,
        registered: device !== null,
        bytes: m.payload,
        topic: m.topic,
        clientId: m.clientId,
      }),
    );
    this.counters.stored++;
    this.markSeen(deviceKey, device, m.receivedAt, m.peer);
    if (checked.event) await this.publishEvent(deviceKey, device, stored, m.receivedAt, checked.event);
    if (this.signOfLife(deviceKey, m.receivedAt, channel === 'heartbeat')) {
      await this.publishPresence(deviceKey, device, 'heartbeat', m.receivedAt, m.peer);
    }
    return { status: 'stored', channel, rawId: stored.id, duplicate: false };
  }

  /** Authorization, topic, size, encoding and schema, in that order. */
  private check(
    m: MqttInboundMessage,
    topic: ParsedTopic,
  ): { ok: true; channel: MqttChannel; event: SensorEvent['payload'] | null } | { ok: false; rejection: Rejection } {
    const self = m.authenticatedDeviceId;
    const reject = (code: MqttQuarantineCode, reason: string, refused = false) =>
      ({ ok: false, rejection: { code, reason: trim(reason), refused } }) as const;

    if (self !== null && topic.kind !== 'no-device' && topic.deviceId !== self) {
      return reject(
        'foreign-device-id',
        `client '${m.clientId}' authenticated as device '${self}' published under device '${topic.deviceId}'`,
        true,
      );
    }
    if (self !== null && topic.kind === 'no-device') {
      return reject(
        'unknown-topic',
        `topic '${m.topic}' is outside the device's namespace fireiot/v1/devices/${self}/`,
        true,
      );
    }
    if (topic.kind !== 'device') {
      return reject('unknown-topic', `topic '${m.topic}' is not fireiot/v1/devices/{deviceId}/events or …/heartbeat`);
    }
    if (m.payload.length > this.maxPayloadBytes) {
      return reject(
        'payload-too-large',
        `payload of ${m.payload.length} bytes exceeds ${this.maxPayloadBytes}; the first ${this.maxPayloadBytes} bytes are kept`,
      );
    }
    let json: unknown;
    if (m.payload.length === 0 && topic.channel === 'heartbeat') {
      json = {}; // an empty heartbeat is a heartbeat
    } else {
      let text: string;
      try {
        text = utf8.decode(m.payload);
      } catch {
        return reject('not-json', 'payload is not UTF-8 text');
      }
      try {
        json = JSON.parse(text);
      } catch (error) {
        return reject('not-json', `payload is not JSON: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    switch (topic.channel) {
      case 'events': {
        const parsed = sensorPayloadSchema.safeParse(json);
        if (!parsed.success) return reject('schema-violation', describeZodIssues(parsed.error));
        return { ok: true, channel: 'events', event: parsed.data };
      }
      case 'heartbeat': {
        const parsed = heartbeatPayloadSchema.safeParse(json);
        if (!parsed.success) return reject('schema-violation', describeZodIssues(parsed.error));
        return { ok: true, channel: 'heartbeat', event: null };
      }
    }
  }

  private async quarantine(
    m: MqttInboundMessage,
    deviceKey: string,
    device: DeviceRecord | null,
    rejection: Rejection,
  ): Promise<Outcome> {
    const stored = await this.guardStore(
      this.store.appendQuarantine({
        deviceKey,
        receivedAtUs: m.receivedAt.wallUs,
        receivedMonoNs: m.receivedAt.monoNs,
        gatewayId: this.config.gatewayId,
        peer: m.peer,
        registered: device !== null,
        bytes: m.payload.length > this.maxPayloadBytes ? m.payload.subarray(0, this.maxPayloadBytes) : m.payload,
        source: 'mqtt',
        reasonCode: rejection.code,
        reason: rejection.reason,
        topic: m.topic,
      }),
    );
    this.counters.quarantined[rejection.code]++;
    if (rejection.refused) {
      this.counters.refused++;
      this.logger.warn({
        msg: 'publication refused',
        deviceId: m.authenticatedDeviceId,
        clientId: m.clientId,
        topic: m.topic,
        code: rejection.code,
        peer: m.peer,
      });
    }
    return { status: 'quarantined', ...rejection, rawId: stored.id, duplicate: false };
  }

  private async lookup(deviceKey: string): Promise<DeviceRecord | null> {
    try {
      return await this.devices.findByKey(deviceKey);
    } catch (error) {
      this.counters.storeFailures++;
      throw new MqttIngestError('store-failed', `device registry unavailable: ${String(error)}`, { cause: error });
    }
  }

  private async guardStore(write: Promise<StoredRow>): Promise<StoredRow> {
    try {
      return await write;
    } catch (error) {
      this.counters.storeFailures++;
      throw new MqttIngestError('store-failed', `message not stored: ${String(error)}`, { cause: error });
    }
  }

  /**
   * Whether a stored message publishes a presence `heartbeat` (CQC/SC 11002 4.4.2): always for a
   * heartbeat, for other messages when the device's last presence is older than the interval.
   */
  private signOfLife(deviceKey: string, at: ReceiveTime, always: boolean): boolean {
    const ms = Number(at.monoNs / 1_000_000n);
    const interval = this.config.watchdog.presenceIntervalMs;
    const last = this.lastPresence.get(deviceKey);
    if (!always && last !== undefined && ms - last < interval) return false;
    if (last === undefined && this.lastPresence.size >= 100_000 && ms - this.prunedAt >= interval) {
      // Entries older than the interval throttle nothing (devices of an external broker never disconnect here).
      this.prunedAt = ms;
      for (const [key, when] of this.lastPresence) if (ms - when >= interval) this.lastPresence.delete(key);
    }
    this.lastPresence.set(deviceKey, Math.max(last ?? ms, ms));
    return true;
  }

  private markSeen(deviceKey: string, device: DeviceRecord | null, at: ReceiveTime, peer: string): void {
    this.presence.seen({
      deviceKey,
      registered: device !== null,
      atUs: at.wallUs,
      peer,
      gatewayId: this.config.gatewayId,
    });
  }

  private async publishEvent(
    deviceKey: string,
    device: DeviceRecord | null,
    stored: StoredRow,
    at: ReceiveTime,
    payload: SensorEvent['payload'],
  ): Promise<void> {
    const event: SensorEvent = {
      rawId: stored.id,
      deviceKey,
      deviceId: device?.id ?? null,
      receivedAt: microsToIso(at.wallUs),
      gatewayId: this.config.gatewayId,
      payload,
    };
    // A sensor's fire alarm takes the priority lane, as a panel's does (CQC/SC 11002 4.3.1).
    const topic =
      payload.kind === 'smoke-detector' && payload.state === 'fire-alarm'
        ? 'fireiot.ingest.sensor-fire-alarms.v1'
        : 'fireiot.ingest.sensor-events.v1';
    try {
      await this.bus.publish(topic, deviceKey, event);
    } catch (error) {
      this.busFailed(topic, deviceKey, stored.id, error);
    }
  }

  private async publishPresence(
    deviceKey: string,
    device: DeviceRecord | null,
    event: DevicePresence['event'],
    at: ReceiveTime,
    peer: string,
    reason?: string,
    closedBy?: DevicePresence['closedBy'],
  ): Promise<void> {
    const message: DevicePresence = {
      deviceKey,
      deviceId: device?.id ?? null,
      event,
      at: microsToIso(at.wallUs),
      gatewayId: this.config.gatewayId,
      peer: peer.slice(0, 100),
      ...(reason !== undefined ? { reason: reason.slice(0, 200) } : {}),
      ...(closedBy !== undefined ? { closedBy } : {}),
    };
    try {
      await this.bus.publish('fireiot.device.presence.v1', deviceKey, message);
    } catch (error) {
      this.busFailed('fireiot.device.presence.v1', deviceKey, null, error);
    }
  }

  /** The row is committed and stays; consumers catch up from raw_mqtt (rawId in the log). */
  private busFailed(topic: string, deviceKey: string, rawId: string | null, error: unknown): void {
    this.counters.busFailures++;
    this.logger.error({ msg: 'bus publish failed after store', topic, deviceKey, rawId, error: String(error) });
  }

  /** Runs `task` after every earlier task of the same key has settled. */
  private serialize<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}

function digestOf(m: MqttInboundMessage): string {
  return createHash('sha256').update(m.topic).update('\u0000').update(m.payload).digest('base64');
}

function trim(reason: string): string {
  return reason.length <= REASON_MAX ? reason : `${reason.slice(0, REASON_MAX - 1)}…`;
}
