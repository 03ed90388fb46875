import { Logger } from '@nestjs/common';
import { AlertRule, alertRuleSchema } from '@fireiot/alerting';
import { Pool } from 'pg';

export interface UnitContact {
  readonly id: string;
  readonly name: string;
  readonly phone: string;
  readonly channels: readonly ('sms' | 'voice')[];
  readonly escalationOrder: number;
}

export interface UnitProfile {
  readonly id: string;
  readonly name: string;
  /** CQC/SC 11002 4.3.4: alert kinds the service agreement covers. */
  readonly monitoringScope: readonly string[];
  readonly faultPolicy: 'all-channels' | 'escalate';
  /** null = the platform default. */
  readonly escalateAfterMs: number | null;
  /** In escalation order. */
  readonly contacts: readonly UnitContact[];
  readonly userIds: readonly string[];
  readonly rules: readonly AlertRule[];
}

export interface DeviceProfile {
  readonly id: string;
  readonly deviceKey: string;
  readonly unitId: string | null;
  readonly rules: readonly AlertRule[];
}

interface Cached<T> {
  readonly value: T;
  readonly until: number;
}

/**
 * Who gets an alert and which rules apply: devices → unit, the unit's scope, contacts, users,
 * and the per-unit / per-device rules. Read-mostly and on the alert path, so cached: after
 * `ttlMs` an entry is served once more while it is re-read in the background (stale while
 * revalidate), so a busy fleet costs one query per device per `ttlMs`, never a wait; only the
 * first lookup of a key waits for the database. `invalidate()` drops everything at once.
 */
export class UnitDirectory {
  private readonly logger = new Logger(UnitDirectory.name);
  private readonly devices = new Map<string, Cached<DeviceProfile | null>>();
  private readonly units = new Map<string, Cached<UnitProfile | null>>();
  private readonly refreshing = new Set<string>();
  /** First reads in flight, by tag: concurrent misses of one key share one read. */
  private readonly reading = new Map<string, Promise<unknown>>();
  /** Bumped by `invalidate()`: a re-read started before it must not cache what it read. */
  private generation = 0;

  constructor(
    private readonly pool: Pool,
    /** Units (contacts, scope, policy): few, and changes should show quickly. */
    private readonly ttlMs = 5_000,
    /** Devices: many, and their unit rarely changes. */
    private readonly deviceTtlMs = 30_000,
  ) {}

  /**
   * Reads every device (and every device rule) in two queries and caches them until after the
   * next such read: with `preloadDevices()` run every `deviceTtlMs`, lookups of known devices
   * never reach the database, at start or later (a fleet costs two queries per period instead
   * of one per device). Unknown keys are still read one by one.
   */
  async preloadDevices(): Promise<number> {
    const generation = this.generation;
    const [devices, rules] = await Promise.all([
      this.pool.query<{ id: string; device_key: string; unit_id: string | null }>(
        'SELECT id, device_key, unit_id FROM devices',
      ),
      this.pool.query<{ device_id: string; rule_id: string; rule: unknown }>(
        `SELECT DISTINCT ON (device_id, rule_id) device_id, rule_id, rule FROM alert_rules
          WHERE device_id IS NOT NULL ORDER BY device_id, rule_id, id DESC`,
      ),
    ]);
    const byDevice = new Map<string, AlertRule[]>();
    for (const row of rules.rows) {
      const rule = this.parseRule(row.rule, row.rule_id, 'device_id', row.device_id);
      if (rule === null) continue;
      const list = byDevice.get(row.device_id);
      if (list) list.push(rule);
      else byDevice.set(row.device_id, [rule]);
    }
    if (generation !== this.generation) return 0;
    for (const d of devices.rows) {
      const profile: DeviceProfile = {
        id: d.id,
        deviceKey: d.device_key,
        unitId: d.unit_id,
        rules: byDevice.get(d.id) ?? [],
      };
      this.remember(this.devices, d.device_key, profile, 2 * this.deviceTtlMs);
    }
    return devices.rows.length;
  }

  invalidate(): void {
    this.generation++;
    this.reading.clear();
    this.devices.clear();
    this.units.clear();
  }

  async device(deviceKey: string): Promise<DeviceProfile | null> {
    return this.cached(this.devices, `d:${deviceKey}`, deviceKey, this.deviceTtlMs, (k) => this.readDevice(k));
  }

  async unit(unitId: string): Promise<UnitProfile | null> {
    return this.cached(this.units, `u:${unitId}`, unitId, this.ttlMs, (k) => this.readUnit(k));
  }

  private async cached<T>(
    map: Map<string, Cached<T>>,
    tag: string,
    key: string,
    ttlMs: number,
    read: (key: string) => Promise<T>,
  ): Promise<T> {
    const hit = map.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    if (hit) {
      if (!this.refreshing.has(tag)) {
        this.refreshing.add(tag);
        const generation = this.generation;
        read(key)
          .then((value) => {
            if (generation === this.generation) this.remember(map, key, value, ttlMs);
          })
          .catch((error: unknown) => this.logger.warn({ msg: 'directory refresh failed', key, error: String(error) }))
          .finally(() => this.refreshing.delete(tag));
      }
      return hit.value;
    }
    // 500 devices of one unit lost at once ask for the unit 500 times before the first answer:
    // one read, shared (the watchdog benchmark saw 515 reads of one unit, seconds of queueing).
    const inFlight = this.reading.get(tag) as Promise<T> | undefined;
    if (inFlight) return inFlight;
    const generation = this.generation;
    const reading = read(key)
      .then((value) => {
        if (generation === this.generation) this.remember(map, key, value, ttlMs);
        return value;
      })
      .finally(() => this.reading.delete(tag));
    this.reading.set(tag, reading);
    return reading;
  }

  private async readDevice(deviceKey: string): Promise<DeviceProfile | null> {
    const { rows } = await this.pool.query<{ id: string; unit_id: string | null }>(
      'SELECT id, unit_id FROM devices WHERE device_key = $1',
      [deviceKey],
    );
    const row = rows[0];
    let value: DeviceProfile | null = null;
    if (row) {
      const rules = await this.rules('device_id', row.id);
      value = { id: row.id, deviceKey, unitId: row.unit_id, rules };
    }
    return value;
  }

  private async readUnit(unitId: string): Promise<UnitProfile | null> {
    const [unit, contacts, users] = await Promise.all([
      this.pool.query<{
        id: string;
        name: string;
        monitoring_scope: string[];
        fault_policy: 'all-channels' | 'escalate';
        escalate_after_s: number | null;
      }>('SELECT id, name, monitoring_scope, fault_policy, escalate_after_s FROM units WHERE id = $1', [unitId]),
      this.pool.query<{
        id: string;
        name: string;
        phone: string;
        channels: ('sms' | 'voice')[];
        escalation_order: number;
      }>(
        'SELECT id, name, phone, channels, escalation_order FROM contacts WHERE unit_id = $1 ORDER BY escalation_order, created_at, id',
        [unitId],
      ),
      this.pool.query<{ id: string }>("SELECT id FROM users WHERE unit_id = $1 AND role = 'unit' ORDER BY id", [
        unitId,
      ]),
    ]);
    const u = unit.rows[0];
    let value: UnitProfile | null = null;
    if (u) {
      value = {
        id: u.id,
        name: u.name,
        monitoringScope: u.monitoring_scope,
        faultPolicy: u.fault_policy,
        escalateAfterMs: u.escalate_after_s === null ? null : u.escalate_after_s * 1000,
        contacts: contacts.rows.map((c) => ({
          id: c.id,
          name: c.name,
          phone: c.phone,
          channels: c.channels,
          escalationOrder: c.escalation_order,
        })),
        userIds: users.rows.map((r) => r.id),
        rules: await this.rules('unit_id', u.id),
      };
    }
    return value;
  }

  /** The latest rule per id for a unit or a device; invalid stored rules are logged and skipped. */
  private async rules(column: 'unit_id' | 'device_id', id: string): Promise<AlertRule[]> {
    const { rows } = await this.pool.query<{ rule_id: string; rule: unknown }>(
      `SELECT DISTINCT ON (rule_id) rule_id, rule FROM alert_rules WHERE ${column} = $1 ORDER BY rule_id, id DESC`,
      [id],
    );
    const out: AlertRule[] = [];
    for (const row of rows) {
      const rule = this.parseRule(row.rule, row.rule_id, column, id);
      if (rule !== null) out.push(rule);
    }
    return out;
  }

  private parseRule(value: unknown, ruleId: string, column: 'unit_id' | 'device_id', id: string): AlertRule | null {
    const parsed = alertRuleSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    this.logger.warn({ msg: 'stored alert rule is invalid; default kept', ruleId, [column]: id });
    return null;
  }

  private remember<T>(map: Map<string, Cached<T>>, key: string, value: T, ttlMs: number): void {
    if (map.size > 1_000_000) map.clear();
    map.set(key, { value, until: Date.now() + ttlMs });
  }
}
