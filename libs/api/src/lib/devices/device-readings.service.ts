import { Injectable } from '@nestjs/common';
import { SensorPayload, sensorPayloadSchema } from '@fireiot/events';
import { Adu, decodeFrame, isAduOfType } from '@fireiot/gb26875';
import { IdentityError, Principal, UnitRepository } from '@fireiot/identity';
import { RawReading, RawReadingRepository } from '@fireiot/storage';
import { canSeeUnit } from '../auth/tenant.scope';
import { isUuid } from '../http/uuid.util';
import { ReadingsQuery } from './devices.schema';

/** One upload of a device as collected (CQC/SC 11002 4.2 b: the facility's information). */
export interface ReadingView {
  /** The platform's receive time (ISO 8601 UTC, µs). */
  readonly at: string;
  readonly source: 'gb26875' | 'mqtt';
  /** A short human line: `pressure 0.32 MPa`, `component-state ×2: fire-alarm`. */
  readonly summary: string;
  /** MQTT: the JSON payload; GB/T 26875.3: the decoded ADU objects (`fireiot decode`'s shape). */
  readonly data: unknown;
}

export interface ReadingsView {
  readonly deviceId: string;
  readonly readings: readonly ReadingView[];
}

/** At most this many details (state flags, analog values) in a summary. */
const SUMMARY_DETAILS = 5;

/**
 * A device's latest uploads (CQC/SC 11002 4.2 b: the unit views the collected facility
 * information), newest first, from the raw tables: GB/T 26875.3 send-data frames of a UITD
 * decoded, the JSON sensor events of an MQTT collector. Scoped like `GET /api/devices/:id`:
 * another unit's device is not found.
 */
@Injectable()
export class DeviceReadingsService {
  constructor(
    private readonly units: UnitRepository,
    private readonly raw: RawReadingRepository,
  ) {}

  async readings(who: Principal, id: string, query: ReadingsQuery): Promise<ReadingsView> {
    const device = isUuid(id) ? await this.units.findDevice(id) : null;
    if (!device || !canSeeUnit(who, device.unitId)) throw new IdentityError('device-not-found', `no device ${id}`);
    switch (device.kind) {
      case 'uitd': {
        const rows = await this.raw.latestFrames(device.deviceKey, query.limit);
        return { deviceId: device.id, readings: rows.map(frameReading) };
      }
      case 'collector': {
        const rows = await this.raw.latestMqttEvents(device.deviceKey, query.limit);
        return { deviceId: device.id, readings: rows.map(mqttReading) };
      }
    }
  }
}

function frameReading(row: RawReading): ReadingView {
  const decoded = decodeFrame(row.bytes);
  if (!decoded.ok) {
    // Stored frames passed the same decoder at ingest; a codec change could still refuse one.
    return { at: row.receivedAt, source: 'gb26875', summary: `undecodable: ${decoded.error.code}`, data: null };
  }
  const adu = decoded.frame.adu;
  return { at: row.receivedAt, source: 'gb26875', summary: aduSummary(adu), data: adu?.objects ?? [] };
}

/** The ADU type and object count, with the states or values it carries. */
export function aduSummary(adu: Adu | null): string {
  if (adu === null) return 'no application data';
  const head = `${adu.type.name} ×${adu.objects.length}`;
  const details = new Set<string>();
  if (isAduOfType(adu, 1) || isAduOfType(adu, 2) || isAduOfType(adu, 21)) {
    for (const o of adu.objects) for (const flag of o.state.flags) details.add(flag);
  } else if (isAduOfType(adu, 3)) {
    for (const o of adu.objects) {
      const unit = o.analogType.unit === null ? '' : ` ${o.analogType.unit}`;
      details.add(`${o.analogType.name} ${o.value ?? o.rawValue}${unit}`);
    }
  }
  const shown = [...details].slice(0, SUMMARY_DETAILS);
  const more = details.size > shown.length ? ', …' : '';
  return shown.length === 0 ? head : `${head}: ${shown.join(', ')}${more}`;
}

function mqttReading(row: RawReading): ReadingView {
  let data: unknown = null;
  try {
    data = JSON.parse(row.bytes.toString('utf8'));
  } catch {
    return { at: row.receivedAt, source: 'mqtt', summary: 'not JSON', data: null };
  }
  const payload = sensorPayloadSchema.safeParse(data);
  return {
    at: row.receivedAt,
    source: 'mqtt',
    summary: payload.success ? sensorSummary(payload.data) : 'unknown payload',
    data,
  };
}

/** docs/mqtt.md, "Payloads": one line per kind. */
export function sensorSummary(p: SensorPayload): string {
  const where = (what: string | undefined) => (what === undefined ? '' : ` (${what})`);
  switch (p.kind) {
    case 'water-pressure':
      return `pressure ${p.value} MPa${where(p.point ?? p.location)}`;
    case 'water-level':
      return `level ${p.value} m${where(p.tank ?? p.location)}`;
    case 'pump-cabinet':
      return `${p.pump} ${p.running ? 'running' : 'not running'}, mode ${p.mode}, power ${p.power}${where(p.location)}`;
    case 'smoke-detector':
      return `smoke detector ${p.state}${p.battery === undefined ? '' : `, battery ${p.battery} %`}${where(p.location)}`;
  }
}
