import { Inject, Injectable } from '@nestjs/common';
import type { AlertKind } from '@fireiot/alerting';
import type { ProfileOverrides } from '@fireiot/events';
import { Pool } from 'pg';
import { IdentityError } from './identity.error';
import { IDENTITY_POOL } from './identity.tokens';
import { FOREIGN_KEY_VIOLATION, isPgError } from './pg-error.util';

export type FaultPolicy = 'all-channels' | 'escalate';
export type ContactChannel = 'sms' | 'voice';
export type DeviceKind = 'uitd' | 'collector';
export type DevicePower = 'mains' | 'battery';

/** A networked unit (联网单位) with how many users (app channel, CQC/SC 11002 4.3.3) it has. */
export interface UnitRecord {
  readonly id: string;
  readonly name: string;
  /** 4.3.4: the alert kinds the service agreement covers. */
  readonly monitoringScope: readonly AlertKind[];
  readonly faultPolicy: FaultPolicy;
  /** Null: the platform default (FIREIOT_ESCALATE_AFTER_S). */
  readonly escalateAfterS: number | null;
  readonly createdAt: Date;
  readonly userCount: number;
}

export interface NewUnit {
  readonly name: string;
  /** Omitted: every kind (the column's default). */
  readonly monitoringScope?: readonly AlertKind[];
  readonly faultPolicy?: FaultPolicy;
  readonly escalateAfterS?: number | null;
}

export interface ContactRecord {
  readonly id: string;
  readonly unitId: string;
  readonly name: string;
  /** E.164. */
  readonly phone: string;
  readonly channels: readonly ContactChannel[];
  readonly escalationOrder: number;
  readonly createdAt: Date;
}

export interface NewContact {
  readonly unitId: string;
  readonly name: string;
  readonly phone: string;
  readonly channels: readonly ContactChannel[];
  /** Omitted: after the unit's last contact. */
  readonly escalationOrder?: number;
}

export interface NewDevice {
  readonly unitId: string;
  /** `uitd:<decimal source address>` or `mqtt:<device id>` (the gateway's keys). */
  readonly deviceKey: string;
  readonly kind: DeviceKind;
  readonly power: DevicePower;
  /** Collectors: scrypt hash of the MQTT password; null for UITDs. */
  readonly mqttSecret: string | null;
  /** Profile overrides (CQC/SC 11002 4.4.2); omitted/null = the defaults for kind and power. */
  readonly profile?: ProfileOverrides;
  readonly description?: string | null;
}

/** The device's last link event (`device_link_events`): lost, or restored, and why. */
export interface DeviceLinkState {
  readonly event: 'lost' | 'restored';
  readonly cause: 'disconnected' | 'silence' | 'patrol-missed' | 'heard';
  readonly at: Date;
}

/** The device's last patrol (`patrol_records`), at its latest status. */
export interface DevicePatrol {
  readonly patrolId: string;
  readonly status: 'sent' | 'answered' | 'missed' | 'aborted';
  readonly at: Date;
  readonly sentAt: Date | null;
}

/** A provisioned device with its unit and last sign of life. */
export interface DeviceDetail {
  readonly id: string;
  readonly deviceKey: string;
  readonly kind: DeviceKind;
  readonly power: DevicePower;
  readonly unitId: string | null;
  readonly unitName: string | null;
  readonly createdAt: Date;
  readonly hasMqttSecret: boolean;
  /** From `device_presence` (heartbeats and every frame); null if never seen. */
  readonly lastSeenAt: Date | null;
  readonly lastPeer: string | null;
  readonly description: string | null;
  readonly profile: ProfileOverrides;
  readonly link: DeviceLinkState | null;
  readonly lastPatrol: DevicePatrol | null;
  /** Shields in force on the device or its parts (4.4.4). */
  readonly activeShields: number;
}

interface UnitRow {
  id: string;
  name: string;
  monitoring_scope: AlertKind[];
  fault_policy: FaultPolicy;
  escalate_after_s: number | null;
  created_at: Date;
  user_count: number;
}

interface ContactRow {
  id: string;
  unit_id: string;
  name: string;
  phone: string;
  channels: ContactChannel[];
  escalation_order: number;
  created_at: Date;
}

interface DeviceRow {
  id: string;
  device_key: string;
  kind: DeviceKind;
  power: DevicePower;
  unit_id: string | null;
  unit_name: string | null;
  created_at: Date;
  has_mqtt_secret: boolean;
  last_seen_at: Date | null;
  last_peer: string | null;
  description: string | null;
  heartbeat_s: number | null;
  silence_threshold_s: number | null;
  patrol_period_s: number | null;
  link_event: DeviceLinkState['event'] | null;
  link_cause: DeviceLinkState['cause'] | null;
  link_at: Date | null;
  patrol_id: string | null;
  patrol_status: DevicePatrol['status'] | null;
  patrol_at: Date | null;
  patrol_sent_at: Date | null;
  active_shields: number;
}

const UNIT_SELECT = `SELECT u.id, u.name, u.monitoring_scope, u.fault_policy, u.escalate_after_s, u.created_at,
    (SELECT count(*) FROM users p WHERE p.unit_id = u.id)::int AS user_count
  FROM units u`;

// With the device's last link event (watchdog) and its last patrol at its latest status.
const DEVICE_SELECT = `SELECT d.id, d.device_key, d.kind, d.power, d.unit_id, u.name AS unit_name, d.created_at,
    d.mqtt_secret IS NOT NULL AS has_mqtt_secret, p.last_seen_at, p.last_peer, d.description,
    d.heartbeat_s, d.silence_threshold_s, d.patrol_period_s,
    l.event AS link_event, l.cause AS link_cause, l.observable_at AS link_at,
    pr.patrol_id, pr.status AS patrol_status, pr.at AS patrol_at,
    (SELECT s.at FROM patrol_records s WHERE s.patrol_id = pr.patrol_id AND s.status = 'sent') AS patrol_sent_at,
    (SELECT count(*) FROM shield_events sh WHERE sh.device_id = d.id AND sh.event = 'shielded' AND sh.expires_at > now()
       AND NOT EXISTS (SELECT 1 FROM shield_events x WHERE x.shield_id = sh.shield_id AND x.event = 'lifted'))::int
      AS active_shields
  FROM devices d
  LEFT JOIN units u ON u.id = d.unit_id
  LEFT JOIN device_presence p ON p.device_key = d.device_key
  LEFT JOIN LATERAL (SELECT e.event, e.cause, e.observable_at FROM device_link_events e
                     WHERE e.device_key = d.device_key ORDER BY e.id DESC LIMIT 1) l ON true
  LEFT JOIN LATERAL (SELECT r.patrol_id, r.status, r.at FROM patrol_records r
                     WHERE r.device_key = d.device_key ORDER BY r.at DESC, r.id DESC LIMIT 1) pr ON true`;

function toUnit(row: UnitRow): UnitRecord {
  return {
    id: row.id,
    name: row.name,
    monitoringScope: row.monitoring_scope,
    faultPolicy: row.fault_policy,
    escalateAfterS: row.escalate_after_s,
    createdAt: row.created_at,
    userCount: row.user_count,
  };
}

function toContact(row: ContactRow): ContactRecord {
  return {
    id: row.id,
    unitId: row.unit_id,
    name: row.name,
    phone: row.phone,
    channels: row.channels,
    escalationOrder: row.escalation_order,
    createdAt: row.created_at,
  };
}

function toDevice(row: DeviceRow): DeviceDetail {
  return {
    id: row.id,
    deviceKey: row.device_key,
    kind: row.kind,
    power: row.power,
    unitId: row.unit_id,
    unitName: row.unit_name,
    createdAt: row.created_at,
    hasMqttSecret: row.has_mqtt_secret,
    lastSeenAt: row.last_seen_at,
    lastPeer: row.last_peer,
    description: row.description,
    profile: {
      heartbeatS: row.heartbeat_s,
      silenceThresholdS: row.silence_threshold_s,
      patrolPeriodS: row.patrol_period_s,
    },
    link:
      row.link_event !== null && row.link_cause !== null && row.link_at !== null
        ? { event: row.link_event, cause: row.link_cause, at: row.link_at }
        : null,
    lastPatrol:
      row.patrol_id !== null && row.patrol_status !== null && row.patrol_at !== null
        ? { patrolId: row.patrol_id, status: row.patrol_status, at: row.patrol_at, sentAt: row.patrol_sent_at }
        : null,
    activeShields: row.active_shields,
  };
}

/**
 * Provisioning records: units, their contacts (CQC/SC 11002 4.3.3 channels) and their devices.
 * Ids passed in must be UUIDs (the API turns anything else into "not found" before asking).
 */
@Injectable()
export class UnitRepository {
  constructor(@Inject(IDENTITY_POOL) private readonly pool: Pool) {}

  async createUnit(unit: NewUnit): Promise<string> {
    // Omitted settings take the column defaults (one place defines them: the migration).
    const columns = ['name'];
    const values: unknown[] = [unit.name];
    if (unit.monitoringScope !== undefined) {
      columns.push('monitoring_scope');
      values.push([...unit.monitoringScope]);
    }
    if (unit.faultPolicy !== undefined) {
      columns.push('fault_policy');
      values.push(unit.faultPolicy);
    }
    if (unit.escalateAfterS !== undefined) {
      columns.push('escalate_after_s');
      values.push(unit.escalateAfterS);
    }
    const result = await this.pool.query<{ id: string }>(
      `INSERT INTO units (${columns.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      values,
    );
    return firstId(result.rows);
  }

  async findUnit(id: string): Promise<UnitRecord | null> {
    const result = await this.pool.query<UnitRow>(`${UNIT_SELECT} WHERE u.id = $1`, [id]);
    const row = result.rows[0];
    return row ? toUnit(row) : null;
  }

  /** Every unit, or only `onlyUnitId` (a unit user's own). */
  async listUnits(onlyUnitId: string | null): Promise<UnitRecord[]> {
    const result =
      onlyUnitId === null
        ? await this.pool.query<UnitRow>(`${UNIT_SELECT} ORDER BY u.created_at, u.id`)
        : await this.pool.query<UnitRow>(`${UNIT_SELECT} WHERE u.id = $1`, [onlyUnitId]);
    return result.rows.map(toUnit);
  }

  async createContact(contact: NewContact): Promise<string> {
    try {
      const result = await this.pool.query<{ id: string }>(
        `INSERT INTO contacts (unit_id, name, phone, channels, escalation_order)
         VALUES ($1, $2, $3, $4,
           COALESCE($5::int, (SELECT COALESCE(max(escalation_order), 0) + 1 FROM contacts WHERE unit_id = $1)))
         RETURNING id`,
        [contact.unitId, contact.name, contact.phone, [...contact.channels], contact.escalationOrder ?? null],
      );
      return firstId(result.rows);
    } catch (error) {
      if (isPgError(error, FOREIGN_KEY_VIOLATION)) {
        throw new IdentityError('unit-not-found', `no unit ${contact.unitId}`, { cause: error });
      }
      throw error;
    }
  }

  /** Contacts of these units, in escalation order. */
  async listContacts(unitIds: readonly string[]): Promise<ContactRecord[]> {
    if (unitIds.length === 0) return [];
    const result = await this.pool.query<ContactRow>(
      `SELECT id, unit_id, name, phone, channels, escalation_order, created_at FROM contacts
        WHERE unit_id = ANY($1::uuid[]) ORDER BY unit_id, escalation_order, created_at`,
      [[...unitIds]],
    );
    return result.rows.map(toContact);
  }

  /**
   * Registers a device for a unit; `device-exists` if its key is registered already. The unit is
   * checked by the caller (`devices.unit_id` has no foreign key: data of unprovisioned devices
   * predates any unit).
   */
  async createDevice(device: NewDevice): Promise<string> {
    const result = await this.pool.query<{ id: string }>(
      `INSERT INTO devices (device_key, kind, power, unit_id, mqtt_secret, heartbeat_s, silence_threshold_s,
         patrol_period_s, description) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (device_key) DO NOTHING RETURNING id`,
      [
        device.deviceKey,
        device.kind,
        device.power,
        device.unitId,
        device.mqttSecret,
        device.profile?.heartbeatS ?? null,
        device.profile?.silenceThresholdS ?? null,
        device.profile?.patrolPeriodS ?? null,
        device.description ?? null,
      ],
    );
    if (result.rows.length === 0) {
      throw new IdentityError('device-exists', `a device ${device.deviceKey} is registered already`);
    }
    return firstId(result.rows);
  }

  async findDevice(id: string): Promise<DeviceDetail | null> {
    const result = await this.pool.query<DeviceRow>(`${DEVICE_SELECT} WHERE d.id = $1`, [id]);
    const row = result.rows[0];
    return row ? toDevice(row) : null;
  }

  /** Sets the profile overrides (null = back to the default); false if there is no such device. */
  async updateProfile(id: string, profile: ProfileOverrides): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE devices SET heartbeat_s = $2, silence_threshold_s = $3, patrol_period_s = $4 WHERE id = $1`,
      [id, profile.heartbeatS ?? null, profile.silenceThresholdS ?? null, profile.patrolPeriodS ?? null],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Every device, or only those of `onlyUnitId`. */
  async listDevices(onlyUnitId: string | null): Promise<DeviceDetail[]> {
    const result =
      onlyUnitId === null
        ? await this.pool.query<DeviceRow>(`${DEVICE_SELECT} ORDER BY d.created_at, d.id`)
        : await this.pool.query<DeviceRow>(`${DEVICE_SELECT} WHERE d.unit_id = $1 ORDER BY d.created_at, d.id`, [
            onlyUnitId,
          ]);
    return result.rows.map(toDevice);
  }
}

function firstId(rows: readonly { id: string }[]): string {
  const row = rows[0];
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row.id;
}
